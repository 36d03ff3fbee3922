//! Reading connections back from text: the lines of
//! `ovs-appctl dpctl/dump-conntrack` (with or without `-s`/`-m`) and of
//! Linux's `conntrack -L`. A later issue seeds a trace's snapshot table
//! from such files. A bad line gives an error naming its line number and
//! the field at fault.

use std::net::IpAddr;

use crate::conn::Helper;
use crate::entry::{proto_number, ConnEntry, Tuple, TupleL4};
use crate::proto::tcp::TcpState;

/// Where and why a line did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> ParseError {
    ParseError {
        line: 1,
        field: field.to_string(),
        message: message.into(),
    }
}

/// Parses every line of `text` that is not blank or a `#` comment, each in
/// whichever of the two formats it is in.
pub fn parse_entries(text: &str) -> Result<Vec<ConnEntry>, ParseError> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = if line.contains(",orig=(") {
            parse_dump_line(line)
        } else {
            parse_conntrack_line(line)
        };
        entries.push(parsed.map_err(|e| ParseError { line: i + 1, ..e })?);
    }
    Ok(entries)
}

/// Splits `s` at commas outside parentheses.
fn split_top(s: &str) -> Result<Vec<&str>, ParseError> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| err("line", "unbalanced ')'"))?
            }
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(err("line", "unbalanced '('"));
    }
    parts.push(&s[start..]);
    Ok(parts)
}

fn num<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ParseError> {
    value
        .parse()
        .map_err(|_| err(field, format!("\"{value}\" is not a valid number")))
}

fn addr(field: &str, value: &str) -> Result<IpAddr, ParseError> {
    value
        .parse()
        .map_err(|_| err(field, format!("\"{value}\" is not an IP address")))
}

fn hex128(field: &str, value: &str) -> Result<u128, ParseError> {
    let digits = value.strip_prefix("0x").unwrap_or(value);
    u128::from_str_radix(digits, 16)
        .map_err(|_| err(field, format!("\"{value}\" is not a hexadecimal number")))
}

fn helper(value: &str) -> Result<Helper, ParseError> {
    match value {
        "ftp" => Ok(Helper::Ftp),
        "tftp" => Ok(Helper::Tftp),
        _ => Err(err("helper", format!("unknown helper \"{value}\""))),
    }
}

/// The fields of one tuple, collected in any order.
#[derive(Default)]
struct TupleFields {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    sport: Option<u16>,
    dport: Option<u16>,
    id: Option<u16>,
    icmp_type: Option<u8>,
    code: Option<u8>,
}

impl TupleFields {
    /// Takes `key=value` if it is a tuple field; `false` if it is not one.
    fn take(&mut self, where_: &str, key: &str, value: &str) -> Result<bool, ParseError> {
        let field = format!("{where_}.{key}");
        match key {
            "src" => self.src = Some(addr(&field, value)?),
            "dst" => self.dst = Some(addr(&field, value)?),
            "sport" => self.sport = Some(num(&field, value)?),
            "dport" => self.dport = Some(num(&field, value)?),
            "id" => self.id = Some(num(&field, value)?),
            "type" => self.icmp_type = Some(num(&field, value)?),
            "code" => self.code = Some(num(&field, value)?),
            // Counters of `-s` dumps and of accounting-enabled Linux.
            "packets" | "bytes" => {
                num::<u64>(&field, value)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn finish(self, where_: &str, proto: u8) -> Result<Tuple, ParseError> {
        let need =
            |v: Option<IpAddr>, k: &str| v.ok_or_else(|| err(&format!("{where_}.{k}"), "missing"));
        let (src, dst) = (need(self.src, "src")?, need(self.dst, "dst")?);
        if src.is_ipv4() != dst.is_ipv4() {
            return Err(err(where_, "src and dst are of different address families"));
        }
        let l4 = match (self.id, self.icmp_type, self.code) {
            (Some(id), Some(icmp_type), Some(code)) => TupleL4::Icmp {
                id,
                icmp_type,
                code,
            },
            (None, None, None) => TupleL4::Ports {
                sport: self.sport.unwrap_or(0),
                dport: self.dport.unwrap_or(0),
            },
            _ => return Err(err(where_, "ICMP tuples need id, type and code")),
        };
        Ok(Tuple {
            src,
            dst,
            proto,
            l4,
        })
    }
}

fn entry(orig: Tuple, reply: Tuple) -> ConnEntry {
    ConnEntry {
        orig,
        reply,
        zone: 0,
        mark: 0,
        labels: 0,
        tcp_state: None,
        timeout: None,
        unreplied: false,
        helper: None,
    }
}

fn tcp_state(field: &str, name: &str) -> Result<TcpState, ParseError> {
    TcpState::from_name(name).ok_or_else(|| err(field, format!("unknown TCP state \"{name}\"")))
}

/// Parses one line of `ovs-appctl dpctl/dump-conntrack` output.
pub fn parse_dump_line(line: &str) -> Result<ConnEntry, ParseError> {
    let parts = split_top(line.trim())?;
    let (proto_text, rest) = parts.split_first().ok_or_else(|| err("proto", "missing"))?;
    let proto = proto_number(proto_text)
        .ok_or_else(|| err("proto", format!("unknown protocol \"{proto_text}\"")))?;
    let mut tuples = [None, None];
    let mut fields = Vec::new();
    for part in rest {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| err(part, "expected key=value"))?;
        let inner = value.strip_prefix('(').and_then(|v| v.strip_suffix(')'));
        match (key, inner) {
            ("orig" | "reply", Some(inner)) => {
                let mut t = TupleFields::default();
                for item in split_top(inner)? {
                    let (k, v) = item
                        .split_once('=')
                        .ok_or_else(|| err(key, format!("expected key=value, got \"{item}\"")))?;
                    if !t.take(key, k, v)? {
                        return Err(err(&format!("{key}.{k}"), "unknown tuple field"));
                    }
                }
                let slot = if key == "orig" { 0 } else { 1 };
                tuples[slot] = Some(t.finish(key, proto)?);
            }
            _ => fields.push((key, value, inner)),
        }
    }
    let [Some(orig), Some(reply)] = tuples else {
        return Err(err(
            if tuples[0].is_none() { "orig" } else { "reply" },
            "missing",
        ));
    };
    let mut e = entry(orig, reply);
    for (key, value, inner) in fields {
        match key {
            "zone" => e.zone = num(key, value)?,
            "mark" => e.mark = num(key, value)?,
            "labels" => e.labels = hex128(key, value)?,
            "timeout" => e.timeout = Some(num(key, value)?),
            "id" | "status" | "start" | "stop" => {}
            "helper" => e.helper = Some(helper(value)?),
            "protoinfo" => {
                let inner = inner.ok_or_else(|| err(key, "expected (...)"))?;
                let (mut orig, mut reply) = (None, None);
                for item in split_top(inner)? {
                    let (k, v) = item
                        .split_once('=')
                        .ok_or_else(|| err(key, format!("expected key=value, got \"{item}\"")))?;
                    let field = format!("protoinfo.{k}");
                    match k {
                        "state" => {
                            let s = tcp_state(&field, v)?;
                            (orig, reply) = (Some(s), Some(s));
                        }
                        "state_orig" => orig = Some(tcp_state(&field, v)?),
                        "state_reply" => reply = Some(tcp_state(&field, v)?),
                        _ => {}
                    }
                }
                if let (Some(o), Some(r)) = (orig, reply) {
                    e.tcp_state = Some((o, r));
                }
            }
            _ => return Err(err(key, "unknown field")),
        }
    }
    Ok(e)
}

/// The TCP state of a Linux `conntrack -L` line, in OVS's terms.
fn linux_tcp_state(name: &str) -> Option<TcpState> {
    Some(match name {
        "NONE" | "CLOSE" => TcpState::Closed,
        "SYN_SENT" | "SYN_SENT2" => TcpState::SynSent,
        "SYN_RECV" => TcpState::SynRecv,
        "ESTABLISHED" => TcpState::Established,
        "FIN_WAIT" => TcpState::FinWait1,
        "CLOSE_WAIT" => TcpState::CloseWait,
        "LAST_ACK" => TcpState::LastAck,
        "TIME_WAIT" => TcpState::TimeWait,
        _ => return None,
    })
}

/// Parses one line of Linux `conntrack -L` output (also with `-o extended`).
pub fn parse_conntrack_line(line: &str) -> Result<ConnEntry, ParseError> {
    let mut words = line.split_whitespace().peekable();
    if matches!(words.peek(), Some(&"ipv4") | Some(&"ipv6")) {
        words.next();
        words.next();
    }
    let name = words.next().ok_or_else(|| err("proto", "missing"))?;
    let proto =
        proto_number(name).ok_or_else(|| err("proto", format!("unknown protocol \"{name}\"")))?;
    let number: u8 = num(
        "protonum",
        words.next().ok_or_else(|| err("protonum", "missing"))?,
    )?;
    if number != proto {
        return Err(err(
            "protonum",
            format!("{number} does not match protocol {name}"),
        ));
    }
    let timeout: u32 = num(
        "timeout",
        words.next().ok_or_else(|| err("timeout", "missing"))?,
    )?;
    let mut state = None;
    if let Some(word) = words
        .peek()
        .filter(|w| !w.contains('=') && !w.starts_with('['))
    {
        state = Some(
            linux_tcp_state(word)
                .ok_or_else(|| err("state", format!("unknown TCP state \"{word}\"")))?,
        );
        words.next();
    }
    let mut tuples = [TupleFields::default(), TupleFields::default()];
    let mut current = None::<usize>;
    let (mut zone, mut mark, mut labels, mut unreplied, mut help) =
        (0u16, 0u32, 0u128, false, None);
    for word in words {
        if let Some(flag) = word.strip_prefix('[').and_then(|w| w.strip_suffix(']')) {
            unreplied |= flag == "UNREPLIED";
            continue;
        }
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| err(word, "expected key=value"))?;
        if key == "src" {
            current = Some(current.map_or(0, |c| c + 1));
        }
        let which = match current {
            Some(0) => "orig",
            Some(1) => "reply",
            Some(_) => return Err(err("src", "more than two tuples")),
            None => "orig",
        };
        let slot = current.unwrap_or(0).min(1);
        if let Some(t) = tuples.get_mut(slot) {
            if t.take(which, key, value)? {
                continue;
            }
        }
        match key {
            "mark" => mark = num(key, value)?,
            "zone" => zone = num(key, value)?,
            "labels" => labels = hex128(key, value)?,
            "helper" => help = Some(helper(value)?),
            "use" | "secctx" | "delta-time" | "id" | "timestamp" => {}
            _ => return Err(err(key, "unknown field")),
        }
    }
    let [orig, reply] = tuples;
    let mut e = entry(orig.finish("orig", proto)?, reply.finish("reply", proto)?);
    e.zone = zone;
    e.mark = mark;
    e.labels = labels;
    e.timeout = Some(timeout);
    e.unreplied = unreplied;
    e.helper = help;
    if proto == crate::wire::ip_proto::TCP {
        let s = state.unwrap_or(TcpState::Established);
        e.tcp_state = Some((s, s));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::DumpStyle;

    const OVS_LINE: &str = "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),zone=1,mark=3,labels=0xff000000000000000000000000000001,protoinfo=(state=ESTABLISHED)";

    #[test]
    fn ovs_dump_line_round_trips() {
        let e = parse_dump_line(OVS_LINE).unwrap();
        assert_eq!((e.zone, e.mark, e.labels >> 120), (1, 3, 0xff));
        assert_eq!(e.to_string(), OVS_LINE);
    }

    #[test]
    fn stats_and_verbose_dumps_parse() {
        let line = "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=1,dport=2),reply=(src=10.1.1.2,dst=10.1.1.1,sport=2,dport=1),id=0,zone=4,status=0,timeout=431999,protoinfo=(state_orig=FIN_WAIT_2,state_reply=ESTABLISHED,flags_orig=0,flags_reply=0)";
        let e = parse_dump_line(line).unwrap();
        assert_eq!(e.timeout, Some(431_999));
        assert_eq!(
            e.tcp_state,
            Some((TcpState::FinWait2, TcpState::Established))
        );
        assert_eq!(
            e.format(DumpStyle {
                stats: true,
                verbose: true
            }),
            line
        );
    }

    #[test]
    fn icmp_and_ipv6_dump_lines_parse() {
        let icmp = "icmp,orig=(src=10.1.1.1,dst=10.1.1.2,id=0,type=8,code=0),reply=(src=10.1.1.2,dst=10.1.1.1,id=0,type=0,code=0)";
        assert_eq!(parse_dump_line(icmp).unwrap().to_string(), icmp);
        let v6 = "udp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=5353,dport=53),reply=(src=2001:db8::2,dst=2001:db8::1,sport=53,dport=5353),zone=9";
        assert_eq!(parse_dump_line(v6).unwrap().to_string(), v6);
    }

    #[test]
    fn linux_conntrack_lines_parse() {
        let tcp = "tcp      6 431999 ESTABLISHED src=10.1.1.1 dst=10.1.1.2 sport=40000 dport=80 src=10.1.1.2 dst=10.1.1.1 sport=80 dport=40000 [ASSURED] mark=0 zone=3 use=1";
        let e = parse_conntrack_line(tcp).unwrap();
        assert_eq!(
            e.to_string(),
            "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),zone=3,protoinfo=(state=ESTABLISHED)"
        );
        assert_eq!(e.timeout, Some(431_999));
        let udp = "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=2000 packets=1 bytes=60 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2000 dport=1000 packets=0 bytes=0 mark=5 use=1";
        let e = parse_conntrack_line(udp).unwrap();
        assert!(e.unreplied);
        assert_eq!(e.mark, 5);
        let icmp = "icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1234 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=1234 mark=0 use=1";
        assert_eq!(
            parse_conntrack_line(icmp).unwrap().orig.l4,
            TupleL4::Icmp {
                id: 1234,
                icmp_type: 8,
                code: 0
            }
        );
    }

    #[test]
    fn bad_lines_name_the_line_and_the_field() {
        let text = format!("{OVS_LINE}\n\n# comment\ntcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=99999,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=1)\n");
        let e = parse_entries(&text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 4: orig.sport: \"99999\" is not a valid number"
        );
        let e = parse_entries("tcp 6 10 BOGUS src=1.1.1.1 dst=1.1.1.2 sport=1 dport=2 src=1.1.1.2 dst=1.1.1.1 sport=2 dport=1").unwrap_err();
        assert_eq!(e.to_string(), "line 1: state: unknown TCP state \"BOGUS\"");
        let e = parse_entries("udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=1,dport=2),zone=1")
            .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (1, "reply"));
        let e = parse_entries("udp 17 10 src=1.1.1.1 dst=1.1.1.2 sport=1 dport=2 src=1.1.1.2 dst=1.1.1.1 sport=2 dport=1 colour=red").unwrap_err();
        assert_eq!(e.field, "colour");
    }

    #[test]
    fn both_formats_mix_in_one_file() {
        let text = format!("{OVS_LINE}\nudp 17 30 src=1.1.1.1 dst=1.1.1.2 sport=1 dport=2 src=1.1.1.2 dst=1.1.1.1 sport=2 dport=1 use=1\n");
        assert_eq!(parse_entries(&text).unwrap().len(), 2);
    }

    mod random {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn random_text_never_panics_the_parsers(text in "\\PC{0,200}") {
                let _ = parse_entries(&text);
                let _ = parse_dump_line(&text);
                let _ = parse_conntrack_line(&text);
            }

            #[test]
            fn mangled_dump_lines_never_panic(cut in 0usize..200, byte in any::<u8>()) {
                let mut line = OVS_LINE.as_bytes().to_vec();
                if let Some(b) = line.get_mut(cut % OVS_LINE.len()) {
                    *b = byte;
                }
                let _ = parse_entries(&String::from_utf8_lossy(&line));
            }
        }
    }
}
