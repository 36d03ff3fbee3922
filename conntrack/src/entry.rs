//! A connection as the outside sees it: the entry that dumps print, that
//! the dump and `conntrack -L` parsers produce, and that can be inserted
//! into a table (to seed a trace's snapshot). Prints exactly as
//! `ovs-appctl dpctl/dump-conntrack` prints it (OVS 3.1), and serialises
//! to JSON with serde.

use core::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::conn::{Conn, Helper};
use crate::key::ConnKey;
use crate::proto::tcp::TcpState;
use crate::proto::{icmp::IcmpState, other::OtherState, L4State};
use crate::wire::ip_proto;

/// The transport half of a tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TupleL4 {
    Ports { sport: u16, dport: u16 },
    Icmp { id: u16, icmp_type: u8, code: u8 },
}

/// One direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    #[serde(flatten)]
    pub l4: TupleL4,
}

impl Tuple {
    pub fn from_key(key: &ConnKey) -> Tuple {
        let l4 = if key.is_icmp() {
            TupleL4::Icmp {
                id: key.icmp_id(),
                icmp_type: key.icmp_type(),
                code: key.icmp_code(),
            }
        } else {
            TupleL4::Ports {
                sport: key.src_port,
                dport: key.dst_port,
            }
        };
        Tuple {
            src: key.src_ip(),
            dst: key.dst_ip(),
            proto: key.proto,
            l4,
        }
    }

    /// The key of this tuple in `zone`; `None` if the addresses are of
    /// different families.
    pub fn to_key(&self, zone: u16) -> Option<ConnKey> {
        if self.src.is_ipv4() != self.dst.is_ipv4() {
            return None;
        }
        Some(match self.l4 {
            TupleL4::Ports { sport, dport } => {
                ConnKey::new(self.src, self.dst, self.proto, sport, dport, zone)
            }
            TupleL4::Icmp {
                id,
                icmp_type,
                code,
            } => {
                let mut key = ConnKey::new_icmp(self.src, self.dst, id, icmp_type, code, zone);
                key.proto = self.proto;
                key
            }
        })
    }
}

/// `src=..,dst=..,sport=..,dport=..` or `src=..,dst=..,id=..,type=..,code=..`.
impl fmt::Display for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "src={},dst={}", self.src, self.dst)?;
        match self.l4 {
            TupleL4::Ports { sport, dport } => write!(f, ",sport={sport},dport={dport}"),
            TupleL4::Icmp {
                id,
                icmp_type,
                code,
            } => write!(f, ",id={id},type={icmp_type},code={code}"),
        }
    }
}

/// The name OVS prints for an IP protocol, or its number.
pub fn proto_name(proto: u8) -> String {
    match proto {
        ip_proto::ICMP => "icmp".into(),
        ip_proto::ICMPV6 => "icmpv6".into(),
        ip_proto::TCP => "tcp".into(),
        ip_proto::UDP => "udp".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        33 => "dccp".into(),
        2 => "igmp".into(),
        n => n.to_string(),
    }
}

/// The protocol number of an OVS or Linux protocol name, or of a number.
pub fn proto_number(name: &str) -> Option<u8> {
    (0..=255u8)
        .find(|&p| proto_name(p) == name)
        .or_else(|| name.parse().ok())
}

/// One connection, as dumped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnEntry {
    pub orig: Tuple,
    pub reply: Tuple,
    #[serde(default)]
    pub zone: u16,
    #[serde(default)]
    pub mark: u32,
    #[serde(default, with = "hex_u128")]
    pub labels: u128,
    /// TCP's per-direction states; `None` for other protocols.
    #[serde(default)]
    pub tcp_state: Option<(TcpState, TcpState)>,
    /// Seconds left before the connection expires, if known.
    #[serde(default)]
    pub timeout: Option<u32>,
    /// No packet has been seen in the reply direction (Linux's `[UNREPLIED]`).
    #[serde(default)]
    pub unreplied: bool,
    #[serde(default)]
    pub helper: Option<Helper>,
}

/// How much a dump line shows, as `dpctl/dump-conntrack`'s options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpStyle {
    /// `-s`: the timeout.
    pub stats: bool,
    /// `-m`: id, status and per-direction TCP states.
    pub verbose: bool,
}

impl ConnEntry {
    pub(crate) fn from_conn(conn: &Conn, now: u64) -> ConnEntry {
        let (tcp_state, unreplied) = match conn.l4 {
            L4State::Tcp(peers) => (
                Some((peers[0].state, peers[1].state)),
                peers[1].state == TcpState::Closed,
            ),
            L4State::Other(s) => (None, s != OtherState::Bidir),
            L4State::Icmp(s) => (None, s == IcmpState::First),
        };
        let left = conn.expiration.saturating_sub(now) / 1000;
        ConnEntry {
            orig: Tuple::from_key(&conn.key),
            reply: Tuple::from_key(&conn.reply_key()),
            zone: conn.key.zone,
            mark: conn.mark,
            labels: conn.label(),
            tcp_state,
            timeout: Some(u32::try_from(left).unwrap_or(u32::MAX)),
            unreplied,
            helper: conn.helper(),
        }
    }

    /// The line `ovs-appctl dpctl/dump-conntrack` prints, with the options
    /// of `style`.
    pub fn format(&self, style: DumpStyle) -> String {
        let mut s = format!(
            "{},orig=({}),reply=({})",
            proto_name(self.orig.proto),
            self.orig,
            self.reply
        );
        if style.verbose {
            s.push_str(",id=0");
        }
        if self.zone != 0 {
            s.push_str(&format!(",zone={}", self.zone));
        }
        if style.verbose {
            s.push_str(",status=0");
        }
        if style.stats {
            s.push_str(&format!(",timeout={}", self.timeout.unwrap_or(0)));
        }
        if self.mark != 0 {
            s.push_str(&format!(",mark={}", self.mark));
        }
        if self.labels != 0 {
            s.push_str(&format!(",labels={:#x}", self.labels));
        }
        if let Some((orig, reply)) = self.tcp_state {
            if style.verbose {
                s.push_str(&format!(
                    ",protoinfo=(state_orig={},state_reply={},flags_orig=0,flags_reply=0)",
                    orig.name(),
                    reply.name()
                ));
            } else {
                s.push_str(&format!(
                    ",protoinfo=(state={})",
                    TcpState::coalesce(orig, reply).name()
                ));
            }
        }
        if let Some(helper) = self.helper {
            s.push_str(&format!(",helper={}", helper.name()));
        }
        s
    }
}

/// The plain dump line.
impl fmt::Display for ConnEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(DumpStyle::default()))
    }
}

/// Labels as a `0x…` string in JSON: 128 bits do not fit JSON numbers.
mod hex_u128 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        u128::from_str_radix(digits, 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub(crate) fn tcp_entry() -> ConnEntry {
        let key = ConnKey::new(ip("10.1.1.1"), ip("10.1.1.2"), ip_proto::TCP, 40000, 80, 1);
        ConnEntry {
            orig: Tuple::from_key(&key),
            reply: Tuple::from_key(&key.reverse()),
            zone: 1,
            mark: 3,
            labels: 0xff00_0000_0000_0000_0000_0000_0000_0001,
            tcp_state: Some((TcpState::Established, TcpState::Established)),
            timeout: Some(86399),
            unreplied: false,
            helper: None,
        }
    }

    #[test]
    fn tcp_line_matches_ovs_format() {
        assert_eq!(
            tcp_entry().to_string(),
            "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),\
             zone=1,mark=3,labels=0xff000000000000000000000000000001,protoinfo=(state=ESTABLISHED)"
        );
    }

    #[test]
    fn stats_and_verbose_options_add_their_fields() {
        let e = tcp_entry();
        assert_eq!(
            e.format(DumpStyle { stats: true, verbose: false }),
            "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),\
             zone=1,timeout=86399,mark=3,labels=0xff000000000000000000000000000001,protoinfo=(state=ESTABLISHED)"
        );
        assert_eq!(
            e.format(DumpStyle { stats: false, verbose: true }),
            "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),\
             id=0,zone=1,status=0,mark=3,labels=0xff000000000000000000000000000001,\
             protoinfo=(state_orig=ESTABLISHED,state_reply=ESTABLISHED,flags_orig=0,flags_reply=0)"
        );
    }

    #[test]
    fn icmp_and_zone_zero_lines_match_ovs_3_1() {
        // From OVS 3.1's firewall scenario dump.
        let key = ConnKey::new_icmp(ip("10.1.1.1"), ip("10.1.1.2"), 0, 8, 0, 0);
        let e = ConnEntry {
            orig: Tuple::from_key(&key),
            reply: Tuple::from_key(&key.reverse()),
            zone: 0,
            mark: 0,
            labels: 0,
            tcp_state: None,
            timeout: None,
            unreplied: false,
            helper: None,
        };
        assert_eq!(e.to_string(), "icmp,orig=(src=10.1.1.1,dst=10.1.1.2,id=0,type=8,code=0),reply=(src=10.1.1.2,dst=10.1.1.1,id=0,type=0,code=0)");
    }

    #[test]
    fn json_round_trips_with_hex_labels() {
        let e = tcp_entry();
        let json = serde_json::to_string(&e).unwrap();
        assert!(
            json.contains("\"labels\":\"0xff000000000000000000000000000001\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<ConnEntry>(&json).unwrap(), e);
    }

    #[test]
    fn protocol_names_follow_ovs() {
        assert_eq!(proto_name(58), "icmpv6");
        assert_eq!(proto_name(47), "47");
        assert_eq!(proto_number("udp"), Some(17));
        assert_eq!(proto_number("47"), Some(47));
    }
}
