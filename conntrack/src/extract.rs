//! From packet bytes to a connection key: header validation, checksum
//! checks, and, for ICMP errors, the key of the connection they quote.
//!
//! Anything malformed, truncated or with a bad checksum is rejected, and
//! the tracker marks the packet `+inv`. Fragments are rejected here too:
//! reassembly will sit in front of this step (see `Conntrack::execute`).

use crate::key::{ConnKey, Family};
use crate::proto::tcp::Segment;
use crate::wire::{icmpv4, icmpv6, ip_proto, ipv4, ipv6, tcp, udp};

/// The network protocol of a packet handed to the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L3 {
    Ipv4,
    Ipv6,
}

/// What the transport header says beyond the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum L4Info {
    Tcp(Segment),
    /// UDP and protocols without a tracker of their own.
    Other,
    /// An ICMP query; `request` if it may open a connection.
    Icmp {
        request: bool,
    },
}

/// A packet reduced to what the tracker needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extracted {
    pub key: ConnKey,
    /// An ICMP error quoting a packet of the connection `key` names (in
    /// the error's own direction).
    pub related: bool,
    pub l4: L4Info,
}

/// Why a packet gets no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    /// A fragment of an IP datagram.
    Fragment,
    /// Truncated, malformed, a bad checksum, or nothing to track.
    Invalid,
}

impl From<crate::wire::Error> for Reject {
    fn from(_: crate::wire::Error) -> Self {
        Reject::Invalid
    }
}

/// The fewest bytes of the offending datagram's transport header an ICMP
/// error must quote for its ports to be known (RFC 792).
const QUOTED_L4_LEN: usize = 8;

impl Extracted {
    /// A placeholder to extract into.
    pub const EMPTY: Extracted = Extracted {
        key: ConnKey {
            src: [0; 16],
            dst: [0; 16],
            src_port: 0,
            dst_port: 0,
            zone: 0,
            proto: 0,
            family: Family::Ipv4,
        },
        related: false,
        l4: L4Info::Other,
    };
}

/// Which checksums [`extract`] checks. A bare `bool` checks all or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verify {
    /// The IPv4 header's.
    pub l3: bool,
    /// The transport's (TCP, UDP, ICMP, ICMPv6).
    pub l4: bool,
}

impl From<bool> for Verify {
    fn from(all: bool) -> Self {
        Verify { l3: all, l4: all }
    }
}

/// Extracts the key of the packet whose network header starts `data` into
/// `out`. Written in place, field by field, rather than returned: copying a
/// freshly built key with wide loads stalls on the narrow stores that built
/// it, and this is the hot path.
#[inline(always)]
pub(crate) fn extract(
    data: &[u8],
    l3: L3,
    zone: u16,
    verify: impl Into<Verify>,
    out: &mut Extracted,
) -> Result<(), Reject> {
    let verify = verify.into();
    match l3 {
        L3::Ipv4 => {
            let ip = ipv4::Packet::new_checked(data)?;
            if ip.is_fragment() {
                return Err(Reject::Fragment);
            }
            if verify.l3 && !ip.verify_checksum() {
                return Err(Reject::Invalid);
            }
            let net = Net::v4(ip.src_bytes(), ip.dst_bytes(), zone);
            transport(&net, ip.protocol(), ip.payload(), verify.l4, out)
        }
        L3::Ipv6 => {
            let ip = ipv6::Packet::new_checked(data)?;
            let upper = ip.upper_layer()?;
            if upper.fragment {
                return Err(Reject::Fragment);
            }
            let l4 = data
                .get(upper.offset..ipv6::HEADER_LEN + usize::from(ip.payload_len()))
                .ok_or(Reject::Invalid)?;
            let net = Net {
                src: ip.src_bytes(),
                dst: ip.dst_bytes(),
                family: Family::Ipv6,
                zone,
            };
            transport(&net, upper.protocol, l4, verify.l4, out)
        }
    }
}

/// The network-layer half of a key.
struct Net {
    src: [u8; 16],
    dst: [u8; 16],
    family: Family,
    zone: u16,
}

impl Net {
    fn v4(src: [u8; 4], dst: [u8; 4], zone: u16) -> Self {
        // Each slot is built whole, so that it is written by one 16-byte
        // store: the hash reads it back as one 16-byte load, and a load
        // spanning several smaller stores would stall.
        let widen = |a: [u8; 4]| (u128::from(u32::from_be_bytes(a)) << 96).to_be_bytes();
        Net {
            src: widen(src),
            dst: widen(dst),
            family: Family::Ipv4,
            zone,
        }
    }

    fn addr_len(&self) -> usize {
        if self.family == Family::Ipv4 {
            4
        } else {
            16
        }
    }

    fn src(&self) -> &[u8] {
        &self.src[..self.addr_len()]
    }

    fn dst(&self) -> &[u8] {
        &self.dst[..self.addr_len()]
    }

    /// Writes the key of this network header and these ports into `key`.
    fn fill(&self, key: &mut ConnKey, proto: u8, src_port: u16, dst_port: u16) {
        key.src = self.src;
        key.dst = self.dst;
        key.src_port = src_port;
        key.dst_port = dst_port;
        key.zone = self.zone;
        key.proto = proto;
        key.family = self.family;
    }

    fn key(&self, proto: u8, src_port: u16, dst_port: u16) -> ConnKey {
        ConnKey {
            src: self.src,
            dst: self.dst,
            src_port,
            dst_port,
            zone: self.zone,
            proto,
            family: self.family,
        }
    }
}

#[inline(always)]
fn transport(
    net: &Net,
    proto: u8,
    l4: &[u8],
    verify: bool,
    out: &mut Extracted,
) -> Result<(), Reject> {
    let mut plain = |(src_port, dst_port), l4| {
        net.fill(&mut out.key, proto, src_port, dst_port);
        out.related = false;
        out.l4 = l4;
        Ok(())
    };
    match proto {
        ip_proto::TCP => {
            let seg = tcp::Packet::new_checked(l4)?;
            if verify && !seg.verify_checksum(net.src(), net.dst()) {
                return Err(Reject::Invalid);
            }
            let (sport, dport) = (seg.src_port(), seg.dst_port());
            if sport == 0 || dport == 0 {
                return Err(Reject::Invalid);
            }
            let f = seg.flags();
            let info = Segment {
                flags: f,
                seq: seg.seq_number(),
                ack: seg.ack_number(),
                window: seg.window_len(),
                payload_len: u32::try_from(seg.payload().len()).unwrap_or(u32::MAX),
                // Only a SYN's window scale counts; skip the option walk otherwise.
                window_scale: if f & tcp::flags::SYN != 0 {
                    seg.window_scale()
                } else {
                    None
                },
            };
            plain((sport, dport), L4Info::Tcp(info))
        }
        ip_proto::UDP => {
            let dgram = udp::Packet::new_checked(l4)?;
            if verify && !dgram.verify_checksum(net.src(), net.dst()) {
                return Err(Reject::Invalid);
            }
            let (sport, dport) = (dgram.src_port(), dgram.dst_port());
            if sport == 0 || dport == 0 {
                return Err(Reject::Invalid);
            }
            plain((sport, dport), L4Info::Other)
        }
        ip_proto::ICMP if net.family == Family::Ipv4 => {
            let msg = icmpv4::Packet::new_checked(l4)?;
            if verify && !msg.verify_checksum() {
                return Err(Reject::Invalid);
            }
            let (t, code) = (msg.msg_type(), msg.msg_code());
            if icmpv4::is_error(t) {
                return related(net, msg.data_part(), out);
            }
            if icmpv4::reverse_type(t).is_none() || code != 0 {
                return Err(Reject::Invalid);
            }
            let request = matches!(
                t,
                icmpv4::types::ECHO_REQUEST
                    | icmpv4::types::TIMESTAMP
                    | icmpv4::types::INFO_REQUEST
            );
            plain(
                icmp_ports(msg.echo_ident(), t, code),
                L4Info::Icmp { request },
            )
        }
        ip_proto::ICMPV6 if net.family == Family::Ipv6 => {
            let msg = icmpv6::Packet::new_checked(l4)?;
            if verify && !msg.verify_checksum(net.src(), net.dst()) {
                return Err(Reject::Invalid);
            }
            let (t, code) = (msg.msg_type(), msg.msg_code());
            if icmpv6::is_error(t) {
                return related(net, msg.data_part(), out);
            }
            if icmpv6::reverse_type(t).is_none() || code != 0 {
                return Err(Reject::Invalid);
            }
            plain(
                icmp_ports(msg.echo_ident(), t, code),
                L4Info::Icmp {
                    request: t == icmpv6::types::ECHO_REQUEST,
                },
            )
        }
        ip_proto::ICMP | ip_proto::ICMPV6 => Err(Reject::Invalid),
        _ => plain((0, 0), L4Info::Other),
    }
}

/// The "ports" of an ICMP key: the identifier, and type and code.
fn icmp_ports(id: u16, t: u8, code: u8) -> (u16, u16) {
    (id, u16::from(t) << 8 | u16::from(code))
}

/// The key an ICMP error relates to: the quoted packet's, reversed, so
/// that it names the connection in the error's own direction. The quoted
/// packet's source must be the error's destination: an error can only be
/// about a packet its receiver sent.
fn related(outer: &Net, quoted: &[u8], out: &mut Extracted) -> Result<(), Reject> {
    let (inner, proto, l4) = match outer.family {
        Family::Ipv4 => {
            let ip = ipv4::Packet::new_unchecked(quoted);
            if quoted.len() < ipv4::HEADER_LEN
                || ip.version() != 4
                || ip.header_len() < ipv4::HEADER_LEN
            {
                return Err(Reject::Invalid);
            }
            (
                Net::v4(ip.src_bytes(), ip.dst_bytes(), outer.zone),
                ip.protocol(),
                quoted.get(ip.header_len()..).unwrap_or(&[]),
            )
        }
        Family::Ipv6 => {
            let ip = ipv6::Packet::new_unchecked(quoted);
            if quoted.len() < ipv6::HEADER_LEN || ip.version() != 6 {
                return Err(Reject::Invalid);
            }
            let upper = ip.upper_layer()?;
            let net = Net {
                src: ip.src_bytes(),
                dst: ip.dst_bytes(),
                family: Family::Ipv6,
                zone: outer.zone,
            };
            (
                net,
                upper.protocol,
                quoted.get(upper.offset..).unwrap_or(&[]),
            )
        }
    };
    // OVS 3.1 takes 8 quoted bytes of any protocol from an ICMP error,
    // but from an ICMPv6 error a quoted TCP segment's whole fixed header.
    let needed = match (outer.family, proto) {
        (Family::Ipv6, ip_proto::TCP) => tcp::HEADER_LEN,
        _ => QUOTED_L4_LEN,
    };
    if inner.src != outer.dst || l4.len() < needed {
        return Err(Reject::Invalid);
    }
    let word = |at: usize| {
        l4.get(at..at + 2)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    let key = match proto {
        ip_proto::TCP | ip_proto::UDP => inner.key(proto, word(0), word(2)),
        ip_proto::ICMP | ip_proto::ICMPV6 => {
            let (t, code) = (
                l4.first().copied().unwrap_or(0),
                l4.get(1).copied().unwrap_or(0),
            );
            let query = if proto == ip_proto::ICMP {
                icmpv4::reverse_type(t)
            } else {
                icmpv6::reverse_type(t)
            };
            if query.is_none() {
                // An error about an error relates to nothing.
                return Err(Reject::Invalid);
            }
            let (id, tc) = icmp_ports(word(4), t, code);
            inner.key(proto, id, tc)
        }
        _ => inner.key(proto, 0, 0),
    };
    *out = Extracted {
        key: key.reverse(),
        related: true,
        l4: L4Info::Other,
    };
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    //! Packet builders shared by the tracker's tests.
    use std::net::IpAddr;

    use super::*;
    use crate::wire::{compose, icmpv4, icmpv6, ipv4, tcp};

    fn family(addr: &str) -> (IpAddr, L3) {
        let ip: IpAddr = addr.parse().unwrap();
        (ip, if ip.is_ipv4() { L3::Ipv4 } else { L3::Ipv6 })
    }

    /// The network header plus `l4` (already checksummed).
    pub fn ip_packet(src: &str, dst: &str, proto: u8, l4: &[u8]) -> (Vec<u8>, L3) {
        let ((s, l3), (d, _)) = (family(src), family(dst));
        (compose::ip_packet(s, d, proto, l4).unwrap(), l3)
    }

    #[allow(clippy::too_many_arguments)] // one argument per header field
    pub fn tcp_packet(
        src: &str,
        dst: &str,
        sport: u16,
        dport: u16,
        f: u16,
        seq: u32,
        ack: u32,
        len: usize,
    ) -> (Vec<u8>, L3) {
        let repr = tcp::Repr {
            src_port: sport,
            dst_port: dport,
            seq_number: seq,
            ack_number: ack,
            flags: f,
            window_len: 65535,
            window_scale: None,
            payload_len: len,
        };
        let ((s, l3), (d, _)) = (family(src), family(dst));
        (compose::tcp_packet(s, d, &repr).unwrap(), l3)
    }

    pub fn udp_packet(src: &str, dst: &str, sport: u16, dport: u16) -> (Vec<u8>, L3) {
        let ((s, l3), (d, _)) = (family(src), family(dst));
        (compose::udp_packet(s, d, sport, dport, 4).unwrap(), l3)
    }

    /// An ICMP or ICMPv6 message (by family) with `data` after the header.
    pub fn icmp_packet(
        src: &str,
        dst: &str,
        t: u8,
        code: u8,
        id: u16,
        data: &[u8],
    ) -> (Vec<u8>, L3) {
        let ((s, l3), (d, _)) = (family(src), family(dst));
        (compose::icmp_packet(s, d, t, code, id, data).unwrap(), l3)
    }

    fn extract(
        data: &[u8],
        l3: L3,
        zone: u16,
        verify: impl Into<Verify>,
    ) -> Result<Extracted, Reject> {
        let mut out = Extracted::EMPTY;
        super::extract(data, l3, zone, verify, &mut out).map(|()| out)
    }

    #[test]
    fn tcp_key_and_segment_are_extracted() {
        let (p, l3) = tcp_packet(
            "10.1.1.1",
            "10.1.1.2",
            1234,
            80,
            tcp::flags::SYN,
            1000,
            0,
            0,
        );
        let e = extract(&p, l3, 7, true).unwrap();
        assert_eq!(e.key.src_port, 1234);
        assert_eq!(e.key.zone, 7);
        assert!(!e.related);
        assert!(matches!(e.l4, L4Info::Tcp(Segment { seq: 1000, .. })));
    }

    #[test]
    fn bad_checksums_are_rejected_unless_unchecked() {
        let (mut p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        let last = p.len() - 1;
        p[last] ^= 1;
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
        assert!(extract(&p, l3, 0, false).is_ok());
        let (mut p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        p[10] ^= 1;
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
    }

    #[test]
    fn a_transport_checksum_known_good_is_not_checked_but_the_ip_header_is() {
        let l4_known = Verify {
            l3: true,
            l4: false,
        };
        for (mut p, l3) in [
            udp_packet("10.1.1.1", "10.1.1.2", 5353, 53),
            tcp_packet("10.1.1.1", "10.1.1.2", 1, 2, tcp::flags::ACK, 0, 0, 0),
            udp_packet("2001:db8::1", "2001:db8::2", 5353, 53),
        ] {
            let last = p.len() - 1;
            p[last] ^= 1;
            assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
            assert!(extract(&p, l3, 0, l4_known).is_ok());
        }
        let (mut p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        p[10] ^= 1;
        assert_eq!(extract(&p, l3, 0, l4_known), Err(Reject::Invalid));
    }

    #[test]
    fn port_zero_and_truncation_are_rejected() {
        let (p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 0, 53);
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
        let (p, l3) = tcp_packet("10.1.1.1", "10.1.1.2", 1, 2, tcp::flags::SYN, 0, 0, 0);
        assert_eq!(extract(&p[..30], l3, 0, false), Err(Reject::Invalid));
    }

    #[test]
    fn fragments_are_set_aside() {
        let (mut p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 1, 2);
        p[6] = 0x20;
        let mut ip = ipv4::Packet::new_unchecked(&mut p[..]);
        ip.fill_checksum();
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Fragment));
    }

    #[test]
    fn icmp_error_relates_to_the_quoted_connection_reversed() {
        let (quoted, _) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        let (p, l3) = icmp_packet(
            "10.1.1.2",
            "10.1.1.1",
            icmpv4::types::DST_UNREACHABLE,
            3,
            0,
            &quoted,
        );
        let e = extract(&p, l3, 0, true).unwrap();
        assert!(e.related);
        assert_eq!((e.key.src_port, e.key.dst_port), (53, 5353));
        // Quoting a packet that the error's destination did not send.
        let (q2, _) = udp_packet("10.9.9.9", "10.1.1.2", 5353, 53);
        let (p, l3) = icmp_packet(
            "10.1.1.2",
            "10.1.1.1",
            icmpv4::types::DST_UNREACHABLE,
            3,
            0,
            &q2,
        );
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
    }

    #[test]
    fn icmpv6_echo_and_error_are_extracted() {
        let (p, l3) = icmp_packet(
            "2001:db8::1",
            "2001:db8::2",
            icmpv6::types::ECHO_REQUEST,
            0,
            9,
            &[1, 2],
        );
        let e = extract(&p, l3, 0, true).unwrap();
        assert_eq!(e.l4, L4Info::Icmp { request: true });
        assert_eq!(e.key.icmp_type(), 128);
        let (quoted, _) = tcp_packet(
            "2001:db8::1",
            "2001:db8::2",
            40000,
            80,
            tcp::flags::SYN,
            1,
            0,
            0,
        );
        let (p, l3) = icmp_packet(
            "2001:db8::2",
            "2001:db8::1",
            icmpv6::types::PACKET_TOO_BIG,
            0,
            0,
            &quoted,
        );
        assert!(extract(&p, l3, 0, true).unwrap().related);
        // Only 8 bytes of the quoted segment: OVS 3.1 wants TCP's whole
        // header from an ICMPv6 error (unlike from an ICMPv4 one).
        let short = &quoted[..ipv6::HEADER_LEN + 8];
        let (p, l3) = icmp_packet(
            "2001:db8::2",
            "2001:db8::1",
            icmpv6::types::PACKET_TOO_BIG,
            0,
            0,
            short,
        );
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
        let (quoted4, _) = tcp_packet("10.1.1.1", "10.1.1.2", 40000, 80, tcp::flags::SYN, 1, 0, 0);
        let (p, l3) = icmp_packet(
            "10.1.1.2",
            "10.1.1.1",
            icmpv4::types::DST_UNREACHABLE,
            4,
            0,
            &quoted4[..ipv4::HEADER_LEN + 8],
        );
        assert!(extract(&p, l3, 0, true).unwrap().related);
        let (p, l3) = icmp_packet("2001:db8::1", "2001:db8::2", 135, 0, 0, &[0; 16]);
        assert_eq!(extract(&p, l3, 0, true), Err(Reject::Invalid));
    }
}
