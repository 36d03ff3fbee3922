//! The `SPEC` of a `packet PORT SPEC` line turned into a frame, as
//! `ovs-scenario` builds it: a hex frame is taken as is; an ODP flow
//! (`in_port(1),eth(..),eth_type(..),ipv4(..),udp(..)`) is composed as
//! `netdev-dummy/receive` composes it; an OpenFlow flow (`tcp,nw_src=..`)
//! as `ovs-ofctl compose-packet` does with `nw_ttl=64` unless given, then
//! `tcp_seq`/`tcp_ack`/`tcp_win` (defaults 0, 0, 65535) are patched in.

use nxm_fields::layout as l;
use nxm_fields::text::Applied;
use nxm_fields::{Flow, Match};

use ctswitch::compose::{compose, patch_tcp, TcpExtras};

/// Payload bytes of composed UDP, ICMP and non-SYN/FIN/RST TCP packets.
const PAYLOAD: usize = 64;

/// Builds the frame of `spec`.
pub fn build(spec: &str) -> Result<Vec<u8>, String> {
    if !spec.is_empty()
        && spec
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c.is_whitespace())
    {
        return from_hex(spec);
    }
    if spec.contains('(') {
        let flow = flow_of(&odp_to_fields(spec)?)?;
        return Ok(compose(&flow, PAYLOAD));
    }
    let mut extras = TcpExtras::default();
    let mut fields = Vec::new();
    let mut ttl_given = false;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (part, None),
        };
        let number = || {
            value
                .and_then(parse_int)
                .ok_or_else(|| format!("{key}: bad number {}", value.unwrap_or("")))
        };
        match key {
            "tcp_seq" => {
                extras.seq = u32::try_from(number()?).map_err(|e| format!("{key}: {e}"))?
            }
            "tcp_ack" => {
                extras.ack = u32::try_from(number()?).map_err(|e| format!("{key}: {e}"))?
            }
            "tcp_win" => {
                extras.win = u16::try_from(number()?).map_err(|e| format!("{key}: {e}"))?
            }
            _ => {
                ttl_given |= key == "nw_ttl";
                fields.push((key.to_string(), value.map(str::to_string)));
            }
        }
    }
    let mut flow = flow_of(&fields)?;
    if !ttl_given {
        flow.set(l::NW_TTL, 64);
    }
    let mut frame = compose(&flow, PAYLOAD);
    patch_tcp(&mut frame, extras);
    Ok(frame)
}

/// An integer in decimal or `0x` hex (Python's `int(x, 0)`).
fn parse_int(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn from_hex(spec: &str) -> Result<Vec<u8>, String> {
    ctswitch::hex::decode(spec).ok_or_else(|| "hex frame: bad digit or odd number of digits".into())
}

/// The flow whose fields are `fields` (OpenFlow names and text values).
fn flow_of(fields: &[(String, Option<String>)]) -> Result<Flow, String> {
    let mut m = Match::catch_all();
    for (key, value) in fields {
        match m
            .apply_text(key, value.as_deref())
            .map_err(|e| e.to_string())?
        {
            Applied::Yes => {}
            Applied::NotAMatchKey => return Err(format!("{key}: unknown field")),
        }
    }
    Ok(m.flow().clone())
}

/// Splits `text` at top-level commas (not inside parentheses).
fn split_top(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The OpenFlow field of ODP attribute `attr`'s key `key`.
fn odp_field(attr: &str, key: &str) -> Option<&'static str> {
    Some(match (attr, key) {
        ("eth", "src") => "dl_src",
        ("eth", "dst") => "dl_dst",
        ("ipv4", "src") | ("arp", "sip") => "nw_src",
        ("ipv4", "dst") | ("arp", "tip") => "nw_dst",
        ("ipv4" | "ipv6", "proto") | ("arp", "op") => "nw_proto",
        ("ipv4", "ttl") | ("ipv6", "hlimit") => "nw_ttl",
        ("ipv4" | "ipv6", "frag") => "nw_frag",
        ("ipv6", "src") => "ipv6_src",
        ("ipv6", "dst") => "ipv6_dst",
        ("ipv6", "label") => "ipv6_label",
        ("tcp" | "udp" | "sctp", "src") => "tp_src",
        ("tcp" | "udp" | "sctp", "dst") => "tp_dst",
        ("icmp" | "icmpv6", "type") => "tp_src",
        ("icmp" | "icmpv6", "code") => "tp_dst",
        ("arp", "sha") => "arp_sha",
        ("arp", "tha") => "arp_tha",
        _ => return None,
    })
}

/// TCP flags as ODP prints them (`syn|ack`) or a number.
fn tcp_flags(text: &str) -> Result<u16, String> {
    const NAMES: [&str; 9] = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"];
    if let Some(n) = parse_int(text) {
        return u16::try_from(n).map_err(|e| format!("tcp_flags: {e}"));
    }
    text.split('|').try_fold(0u16, |acc, name| {
        let bit = NAMES
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| format!("tcp_flags: unknown flag {name}"))?;
        Ok(acc | 1 << bit)
    })
}

/// Translates an ODP flow into OpenFlow field names and values.
fn odp_to_fields(spec: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut fields = Vec::new();
    let mut push = |k: &str, v: String| fields.push((k.to_string(), Some(v)));
    for attr in split_top(spec) {
        let (name, args) = attr
            .strip_suffix(')')
            .and_then(|a| a.split_once('('))
            .ok_or_else(|| format!("ODP flow: bad attribute {attr}"))?;
        match name {
            "in_port" | "skb_priority" | "skb_mark" | "recirc_id" | "dp_hash" => {}
            "eth_type" => push("dl_type", args.to_string()),
            "tcp_flags" => push("tcp_flags", format!("{:#x}", tcp_flags(args)?)),
            "vlan" => {
                let (mut vid, mut pcp) = (0u64, 0u64);
                for kv in split_top(args) {
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| format!("vlan: bad {kv}"))?;
                    let n = parse_int(v).ok_or_else(|| format!("vlan: bad {kv}"))?;
                    match k {
                        "vid" => vid = n,
                        "pcp" => pcp = n,
                        _ => {}
                    }
                }
                push("vlan_tci", format!("{:#x}", 0x1000 | (pcp << 13) | vid));
            }
            "ipv4" | "ipv6" | "tcp" | "udp" | "sctp" | "icmp" | "icmpv6" | "arp" | "eth" => {
                for kv in split_top(args) {
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| format!("{name}: bad {kv}"))?;
                    match (name, k) {
                        ("ipv4", "tos") | ("ipv6", "tclass") => {
                            let tos = parse_int(v).ok_or_else(|| format!("{name}: bad {kv}"))?;
                            push("nw_tos", (tos & 0xfc).to_string());
                            push("nw_ecn", (tos & 3).to_string());
                        }
                        _ => {
                            let field = odp_field(name, k)
                                .ok_or_else(|| format!("ODP flow: unsupported key {name}({k})"))?;
                            push(field, v.to_string());
                        }
                    }
                }
            }
            _ => return Err(format!("ODP flow: unsupported attribute {name}")),
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `> packet` line of the recorded OVS reports with its frame.
    fn recorded() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if !path.to_string_lossy().ends_with(".ovs.out") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines = text.lines().peekable();
            while let Some(line) = lines.next() {
                let Some(rest) = line.strip_prefix("> packet ") else {
                    continue;
                };
                let frame = lines.peek().and_then(|l| l.strip_prefix("  frame: "));
                // Packets whose text holds a masked `let` value cannot be rebuilt.
                if let Some(hex) = frame.filter(|h| !h.starts_with('(') && !rest.contains('<')) {
                    let spec = rest.split_once(' ').unwrap().1.to_string();
                    out.push((spec, hex.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn frames_are_built_as_ovs_built_them_in_every_recorded_report() {
        let cases = recorded();
        assert!(cases.len() > 150, "only {} recorded packets", cases.len());
        for (spec, hex) in cases {
            let frame = build(&spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            let got: String = frame.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(got, hex, "{spec}");
        }
    }

    #[test]
    fn bad_specs_are_errors() {
        assert!(build("abc").is_err());
        assert!(build("udp,frobnicate=1").is_err());
        assert!(build("tcp,tcp_seq=x").is_err());
        assert!(build("in_port(1),bogus(1)").is_err());
    }
}
