//! The one-line description OVS prints for the frame inside a packet-in or
//! packet-out (`ofp_packet_to_string`): the headers of the frame as an
//! exact match, in match syntax, plus the L4 checksum.
//!
//! Only what the description needs is extracted here: Ethernet with one
//! VLAN tag, IPv4, IPv6 without extension headers, ARP, and TCP, UDP, SCTP,
//! ICMP and ICMPv6 headers. A header that is cut short leaves its fields at
//! zero, as in OVS.

use std::fmt::Write;

use nxm_fields::{field_by_name, Match, Value};

const ETH_TYPE_IP: u16 = 0x0800;
const ETH_TYPE_ARP: u16 = 0x0806;
const ETH_TYPE_RARP: u16 = 0x8035;
const ETH_TYPE_IPV6: u16 = 0x86dd;
const ETH_TYPE_VLAN: u16 = 0x8100;
const ETH_TYPE_VLAN_8021AD: u16 = 0x88a8;
/// OVS's dl_type for 802.3 frames without a SNAP header.
const DL_TYPE_NONE: u16 = 0x05ff;
/// The VLAN "present" bit OVS keeps in vlan_tci.
const VLAN_CFI: u16 = 0x1000;

const IPPROTO_ICMP: u8 = 1;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_ICMPV6: u8 = 58;
const IPPROTO_SCTP: u8 = 132;

/// `ip_frag` bits.
const FRAG_ANY: u8 = 1;
const FRAG_LATER: u8 = 2;

/// The description of `frame`, ending in a newline.
pub fn packet_to_string(frame: &[u8]) -> String {
    let mut m = Match::catch_all();
    let checksum = extract(&mut m, frame);
    let mut out = m.to_string();
    if let Some((name, csum)) = checksum {
        let _ = write!(out, " {name}:{csum:x}");
    }
    out.push('\n');
    out
}

/// Sets `name` exactly to `value` (fields are all in the registry).
fn set(m: &mut Match, name: &str, value: impl Into<Value>) {
    if let Some(field) = field_by_name(name) {
        m.set_field(field, value.into(), field.exact_mask());
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
}

fn bytes_at<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(s) = b.get(at..at + N) {
        out.copy_from_slice(s);
    }
    out
}

fn value_of(bytes: &[u8]) -> Value {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | Value::from(b))
}

/// Fills `m` from `frame`; returns the L4 checksum OVS appends, if any.
fn extract(m: &mut Match, frame: &[u8]) -> Option<(&'static str, u32)> {
    set(m, "vlan_tci", 0u16);
    let eth = if frame.len() < 14 {
        &[0u8; 14][..]
    } else {
        frame
    };
    set(m, "eth_src", value_of(&eth[6..12]));
    set(m, "eth_dst", value_of(&eth[0..6]));
    if frame.len() < 14 {
        set(m, "eth_type", 0u16);
        return None;
    }
    let mut at = 12;
    let mut eth_type = be16(frame, at);
    if (eth_type == ETH_TYPE_VLAN || eth_type == ETH_TYPE_VLAN_8021AD) && frame.len() >= at + 4 {
        set(m, "vlan_tci", be16(frame, at + 2) | VLAN_CFI);
        at += 4;
        eth_type = be16(frame, at);
    }
    at += 2;
    if eth_type < 0x600 {
        // 802.3: a SNAP header carries the type, anything else has none.
        let snap = frame.get(at..at + 6) == Some(&[0xaa, 0xaa, 0x03, 0, 0, 0][..]);
        if snap && frame.len() >= at + 8 {
            eth_type = be16(frame, at + 6);
            at += 8;
        } else {
            eth_type = DL_TYPE_NONE;
        }
    }
    set(m, "eth_type", eth_type);
    let l3 = frame.get(at..).unwrap_or_default();
    match eth_type {
        ETH_TYPE_IP => ipv4(m, l3),
        ETH_TYPE_IPV6 => ipv6(m, l3),
        ETH_TYPE_ARP | ETH_TYPE_RARP => {
            arp(m, l3);
            None
        }
        _ => None,
    }
}

fn ip_common(m: &mut Match, proto: u8, tos: u8, ttl: u8, frag: u8) {
    set(m, "nw_proto", proto);
    set(m, "nw_tos", tos & 0xfc);
    set(m, "nw_ecn", tos & 0x03);
    set(m, "nw_ttl", ttl);
    set(m, "ip_frag", frag);
}

fn ipv4(m: &mut Match, ip: &[u8]) -> Option<(&'static str, u32)> {
    set(m, "ip_src", 0u32);
    set(m, "ip_dst", 0u32);
    ip_common(m, 0, 0, 0, 0);
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(be16(ip, 2));
    if ip.len() < 20 || ihl < 20 || ip.len() < ihl || total < ihl {
        return None;
    }
    let ip = ip.get(..total.min(ip.len()))?;
    set(m, "ip_src", value_of(&ip[12..16]));
    set(m, "ip_dst", value_of(&ip[16..20]));
    let frag_field = be16(ip, 6);
    let mut frag = 0;
    if frag_field & 0x3fff != 0 {
        frag = FRAG_ANY;
        if frag_field & 0x1fff != 0 {
            frag |= FRAG_LATER;
        }
    }
    let proto = ip[9];
    ip_common(m, proto, ip[1], ip[8], frag);
    if frag & FRAG_LATER != 0 {
        // No transport header to extract, but OVS still prints the bytes
        // where its checksum would be.
        return checksum(proto, &ip[ihl..]);
    }
    transport(m, proto, &ip[ihl..])
}

fn ipv6(m: &mut Match, ip: &[u8]) -> Option<(&'static str, u32)> {
    set(m, "ipv6_src", 0u32);
    set(m, "ipv6_dst", 0u32);
    set(m, "ipv6_label", 0u32);
    ip_common(m, 0, 0, 0, 0);
    if ip.len() < 40 {
        return None;
    }
    let first = u32::from_be_bytes(bytes_at::<4>(ip, 0));
    set(m, "ipv6_src", value_of(&ip[8..24]));
    set(m, "ipv6_dst", value_of(&ip[24..40]));
    set(m, "ipv6_label", first & 0x000f_ffff);
    let tclass = ((first >> 20) & 0xff) as u8;
    let proto = ip[6];
    ip_common(m, proto, tclass, ip[7], 0);
    let payload = usize::from(be16(ip, 4));
    let l4 = ip.get(40..(40 + payload).min(ip.len()))?;
    transport(m, proto, l4)
}

fn transport(m: &mut Match, proto: u8, l4: &[u8]) -> Option<(&'static str, u32)> {
    match proto {
        IPPROTO_TCP => {
            set(m, "tcp_src", 0u16);
            set(m, "tcp_dst", 0u16);
            set(m, "tcp_flags", 0u16);
            if l4.len() < 20 {
                return None;
            }
            set(m, "tcp_src", be16(l4, 0));
            set(m, "tcp_dst", be16(l4, 2));
            set(m, "tcp_flags", be16(l4, 12) & 0x0fff);
            checksum(proto, l4)
        }
        IPPROTO_UDP => ports(m, "udp", l4, 8)
            .then(|| checksum(proto, l4))
            .flatten(),
        IPPROTO_SCTP => ports(m, "sctp", l4, 12)
            .then(|| checksum(proto, l4))
            .flatten(),
        IPPROTO_ICMP => {
            set(m, "icmp_type", 0u8);
            set(m, "icmp_code", 0u8);
            if l4.len() < 8 {
                return None;
            }
            set(m, "icmp_type", l4[0]);
            set(m, "icmp_code", l4[1]);
            checksum(proto, l4)
        }
        IPPROTO_ICMPV6 => {
            set(m, "icmpv6_type", 0u8);
            set(m, "icmpv6_code", 0u8);
            if l4.len() < 4 {
                return None;
            }
            set(m, "icmpv6_type", l4[0]);
            set(m, "icmpv6_code", l4[1]);
            checksum(proto, l4)
        }
        _ => None,
    }
}

/// The checksum OVS prints for an L4 header of `proto` at the start of `l4`,
/// when there are enough bytes for the header.
fn checksum(proto: u8, l4: &[u8]) -> Option<(&'static str, u32)> {
    let (name, min, at, wide) = match proto {
        IPPROTO_TCP => ("tcp_csum", 20, 16, false),
        IPPROTO_UDP => ("udp_csum", 8, 6, false),
        IPPROTO_SCTP => ("sctp_csum", 12, 8, true),
        IPPROTO_ICMP => ("icmp_csum", 8, 2, false),
        IPPROTO_ICMPV6 => ("icmp6_csum", 4, 2, false),
        _ => return None,
    };
    if l4.len() < min {
        return None;
    }
    let value = if wide {
        u32::from_be_bytes(bytes_at::<4>(l4, at))
    } else {
        u32::from(be16(l4, at))
    };
    Some((name, value))
}

/// Source and destination ports of a `proto` header of at least `min` bytes.
fn ports(m: &mut Match, proto: &str, l4: &[u8], min: usize) -> bool {
    let (src, dst) = (format!("{proto}_src"), format!("{proto}_dst"));
    set(m, &src, 0u16);
    set(m, &dst, 0u16);
    if l4.len() < min {
        return false;
    }
    set(m, &src, be16(l4, 0));
    set(m, &dst, be16(l4, 2));
    true
}

fn arp(m: &mut Match, a: &[u8]) {
    let ok = a.len() >= 28 && be16(a, 0) == 1 && be16(a, 2) == 0x0800 && a[4] == 6 && a[5] == 4;
    let get = |at: usize, n: usize| if ok { value_of(&a[at..at + n]) } else { 0 };
    set(m, "arp_op", if ok { be16(a, 6) & 0xff } else { 0 });
    set(m, "arp_sha", get(8, 6));
    set(m, "arp_spa", get(14, 4));
    set(m, "arp_tha", get(18, 6));
    set(m, "arp_tpa", get(24, 4));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }

    // Expectations from `ovs-ofctl ofp-print` of packet-outs (OVS 3.1).
    #[test]
    fn ipv4_frame_prints_as_ovs_does() {
        let frame = unhex("505400000001505400000002080045000014000000004000f9e70a0000010a000002");
        assert_eq!(
            packet_to_string(&frame),
            "ip,vlan_tci=0x0000,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no\n"
        );
    }

    #[test]
    fn short_frame_is_all_zeros() {
        assert_eq!(
            packet_to_string(&[0xab, 0xcd]),
            "vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,dl_type=0x0000\n"
        );
    }
}
