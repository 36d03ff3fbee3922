//! Flow extraction: a received frame becomes its [`Flow`] key, as Open
//! vSwitch's `miniflow_extract` reads it.
//!
//! Extraction never fails: a header that is truncated or malformed simply
//! ends it, leaving every deeper field zero, which is what OVS does (an IPv4
//! packet with a bad header length still matches `ip`, but no `nw_src`).
//! Metadata that the pipeline sets later (registers, ct fields, recirc_id)
//! starts at zero.

use conntrack::wire::{icmpv4, ip_proto, ipv4, ipv6, tcp, udp};
use nxm_fields::layout as l;
use nxm_fields::prereq::{ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT};
use nxm_fields::registry::VLAN_CFI;
use nxm_fields::{Flow, Value};

use crate::wire::ethernet::{resolve_ethertype, Frame};
use crate::wire::{arp, array, be16, be32, ethertype};

/// `ip_frag` bits, as `nxm_fields` defines them.
use nxm_fields::format::{FRAG_ANY, FRAG_LATER};

/// A flow keeps at most two VLAN tags, and `ovs-ofctl parse-pcap` reads
/// two.
const MAX_VLAN_TAGS: usize = 2;

/// How many VLAN tags the switch's pipeline reads: OVS 3.1's default
/// `other_config:vlan-limit` (1). A second tag is then payload: the
/// flow's ethertype is its TPID, and translation never pops or rewrites
/// what it cannot see.
pub const PIPELINE_VLAN_LIMIT: usize = 1;

/// The IP protocol number of SCTP, which has no view of its own: only its
/// ports are read.
const IPPROTO_SCTP: u8 = 132;
const IPPROTO_IGMP: u8 = 2;

/// Extracts the flow key of `frame`, received on OpenFlow port `in_port`,
/// reading two VLAN tags as `ovs-ofctl parse-pcap` does.
pub fn extract(frame: &[u8], in_port: u32) -> Flow {
    extract_tags(frame, in_port, MAX_VLAN_TAGS)
}

/// Extracts the flow key of `frame` reading at most `vlan_limit` VLAN
/// tags (up to two), as OVS's `miniflow_extract` does under its
/// `vlan-limit`.
pub fn extract_tags(frame: &[u8], in_port: u32, vlan_limit: usize) -> Flow {
    let mut flow = Flow::zero();
    flow.set(l::IN_PORT, Value::from(in_port));
    let Ok(eth) = Frame::new_checked(frame) else {
        return flow;
    };
    flow.set(l::ETH_DST, mac(eth.dst_addr()));
    flow.set(l::ETH_SRC, mac(eth.src_addr()));
    let (tags, type_at) = eth.tags(vlan_limit.min(MAX_VLAN_TAGS));
    for ((tci_slot, tpid_slot), (tpid, tci)) in l::VLAN_TAGS.into_iter().zip(tags) {
        flow.set(tci_slot, Value::from(tci) | VLAN_CFI);
        flow.set(tpid_slot, Value::from(tpid));
    }
    let (dl_type, l3_at) = resolve_ethertype(frame, type_at);
    flow.set(l::ETH_TYPE, Value::from(dl_type));
    let l3 = frame.get(l3_at..).unwrap_or_default();
    match dl_type {
        ethertype::IPV4 => extract_ipv4(&mut flow, l3),
        ethertype::IPV6 => extract_ipv6(&mut flow, l3),
        ethertype::ARP | ethertype::RARP => extract_arp(&mut flow, l3),
        // Up to three label stack entries; what they carry is not parsed.
        ethertype::MPLS | ethertype::MPLS_MCAST => extract_mpls(&mut flow, l3),
        _ => {}
    }
    flow
}

fn extract_mpls(flow: &mut Flow, l3: &[u8]) {
    const BOTTOM_OF_STACK: u32 = 0x100;
    for (i, slot) in [l::MPLS_LSE, l::MPLS_LSE1, l::MPLS_LSE2]
        .into_iter()
        .enumerate()
    {
        if l3.len() < 4 * (i + 1) {
            return;
        }
        let lse = be32(l3, 4 * i);
        flow.set(slot, Value::from(lse));
        if lse & BOTTOM_OF_STACK != 0 {
            return;
        }
    }
}

fn mac(addr: [u8; 6]) -> Value {
    addr.iter().fold(0, |acc, &b| (acc << 8) | Value::from(b))
}

fn extract_ipv4(flow: &mut Flow, l3: &[u8]) {
    let Ok(ip) = ipv4::Packet::new_checked(l3) else {
        return;
    };
    flow.set(l::NW_SRC, Value::from(u32::from_be_bytes(ip.src_bytes())));
    flow.set(l::NW_DST, Value::from(u32::from_be_bytes(ip.dst_bytes())));
    flow.set(l::NW_PROTO, Value::from(ip.protocol()));
    flow.set(l::NW_TOS, Value::from(ip.dscp_ecn()));
    flow.set(l::NW_TTL, Value::from(ip.ttl()));
    let mut frag = 0;
    if ip.is_fragment() {
        frag |= FRAG_ANY;
        if ip.frag_offset() != 0 {
            frag |= FRAG_LATER;
        }
    }
    flow.set(l::NW_FRAG, frag);
    if frag & FRAG_LATER == 0 {
        extract_l4(flow, ip.protocol(), ip.payload(), false);
    }
}

fn extract_ipv6(flow: &mut Flow, l3: &[u8]) {
    let Ok(ip) = ipv6::Packet::new_checked(l3) else {
        return;
    };
    flow.set(l::IPV6_SRC, u128::from_be_bytes(ip.src_bytes()));
    flow.set(l::IPV6_DST, u128::from_be_bytes(ip.dst_bytes()));
    flow.set(l::IPV6_LABEL, Value::from(ip.flow_label()));
    flow.set(l::NW_TOS, Value::from(ip.traffic_class()));
    flow.set(l::NW_TTL, Value::from(ip.hop_limit()));
    let Ok(upper) = ip.upper_layer() else {
        return;
    };
    let mut frag = 0;
    if upper.fragment {
        frag |= FRAG_ANY;
    }
    if upper.later_fragment {
        // Like OVS, a later fragment says it carries a fragment header.
        flow.set(l::NW_FRAG, frag | FRAG_LATER);
        flow.set(l::NW_PROTO, Value::from(ip_proto::IPV6_FRAGMENT));
        return;
    }
    flow.set(l::NW_FRAG, frag);
    flow.set(l::NW_PROTO, Value::from(upper.protocol));
    let l4 = l3.get(upper.offset..).unwrap_or_default();
    extract_l4(flow, upper.protocol, l4, true);
}

fn extract_l4(flow: &mut Flow, proto: u8, l4: &[u8], v6: bool) {
    match proto {
        ip_proto::TCP => {
            if let Ok(t) = tcp::Packet::new_checked(l4) {
                flow.set(l::TP_SRC, Value::from(t.src_port()));
                flow.set(l::TP_DST, Value::from(t.dst_port()));
                flow.set(l::TCP_FLAGS, Value::from(t.flags()));
            }
        }
        // Only the 8-byte header is needed: a first fragment's UDP length
        // covers the whole datagram, more than the fragment holds, and OVS
        // still reads its ports. SCTP's common header is 12 bytes.
        ip_proto::UDP if l4.len() >= udp::HEADER_LEN => {
            flow.set(l::TP_SRC, Value::from(be16(l4, 0)));
            flow.set(l::TP_DST, Value::from(be16(l4, 2)));
        }
        IPPROTO_SCTP if l4.len() >= 12 => {
            flow.set(l::TP_SRC, Value::from(be16(l4, 0)));
            flow.set(l::TP_DST, Value::from(be16(l4, 2)));
        }
        ip_proto::ICMP if !v6 => {
            if let Ok(icmp) = icmpv4::Packet::new_checked(l4) {
                flow.set(l::TP_SRC, Value::from(icmp.msg_type()));
                flow.set(l::TP_DST, Value::from(icmp.msg_code()));
            }
        }
        IPPROTO_IGMP if !v6 && l4.len() >= 8 => {
            flow.set(l::TP_SRC, Value::from(l4[0]));
            flow.set(l::TP_DST, Value::from(l4[1]));
        }
        ip_proto::ICMPV6 if v6 => extract_icmpv6(flow, l4),
        _ => {}
    }
}

/// ICMPv6 type and code, and for neighbour discovery its target, the
/// link-layer address options it carries, the reserved word and the first
/// option's type.
fn extract_icmpv6(flow: &mut Flow, l4: &[u8]) {
    const HEADER_LEN: usize = 4;
    const ND_TARGET_AT: usize = 8;
    const ND_OPTIONS_AT: usize = 24;
    const OPT_SOURCE_LL: u8 = 1;
    const OPT_TARGET_LL: u8 = 2;

    if l4.len() < HEADER_LEN {
        return;
    }
    let (ty, code) = (l4[0], l4[1]);
    flow.set(l::TP_SRC, Value::from(ty));
    flow.set(l::TP_DST, Value::from(code));
    let is_nd = code == 0 && (ty == ND_NEIGHBOR_SOLICIT || ty == ND_NEIGHBOR_ADVERT);
    if !is_nd || l4.len() < ND_OPTIONS_AT {
        return;
    }
    flow.set(l::ND_RESERVED, Value::from(be32(l4, HEADER_LEN)));
    flow.set(l::ND_TARGET, u128::from_be_bytes(array(l4, ND_TARGET_AT)));
    // Options are at least 8 bytes; a bad length ends the list (keeping
    // what was read), a repeated link-layer option voids the ND fields.
    let mut at = ND_OPTIONS_AT;
    while at + 8 <= l4.len() {
        let (opt_type, len) = (l4[at], usize::from(l4[at + 1]) * 8);
        if len == 0 || at + len > l4.len() {
            return;
        }
        if at == ND_OPTIONS_AT {
            flow.set(l::ND_OPTIONS_TYPE, Value::from(opt_type));
        }
        // OVS takes either link-layer option in either message, once each.
        let slot = match opt_type {
            OPT_SOURCE_LL => Some(l::ARP_SHA),
            OPT_TARGET_LL => Some(l::ARP_THA),
            _ => None,
        };
        if let Some(slot) = slot.filter(|_| len == 8) {
            if !flow.is_zero(slot) {
                return clear_nd(flow);
            }
            flow.set(slot, mac(array(l4, at + 2)));
        }
        at += len;
    }
}

fn clear_nd(flow: &mut Flow) {
    for slot in [l::ND_TARGET, l::ARP_SHA, l::ARP_THA] {
        flow.set(slot, 0);
    }
}

fn extract_arp(flow: &mut Flow, l3: &[u8]) {
    let Ok(a) = arp::Packet::new_checked(l3) else {
        return;
    };
    // The opcode lives in nw_proto; only opcodes that fit are kept.
    if let Ok(op) = u8::try_from(a.operation()) {
        flow.set(l::NW_PROTO, Value::from(op));
    }
    flow.set(l::NW_SRC, Value::from(a.sender_ip()));
    flow.set(l::NW_DST, Value::from(a.target_ip()));
    flow.set(l::ARP_SHA, mac(a.sender_hw()));
    flow.set(l::ARP_THA, mac(a.target_hw()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAC_A: [u8; 6] = [0x50, 0x54, 0, 0, 0, 1];
    const MAC_B: [u8; 6] = [0x50, 0x54, 0, 0, 0, 2];

    fn eth(ethertype: u16, vlan: Option<u16>, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&MAC_B);
        f.extend_from_slice(&MAC_A);
        if let Some(tci) = vlan {
            f.extend_from_slice(&[0x81, 0x00]);
            f.extend_from_slice(&tci.to_be_bytes());
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn ipv4(proto: u8, frag: u16, l4: &[u8]) -> Vec<u8> {
        let total = (20 + l4.len()) as u16;
        let mut p = vec![0x45, 0xb9];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, proto, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2]);
        p.extend_from_slice(l4);
        p
    }

    fn tcp_syn() -> Vec<u8> {
        let mut t = vec![0x04, 0xd2, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0];
        t.extend_from_slice(&[0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        t
    }

    // OVS 3.1 with its default vlan-limit (1) keys an 802.1ad tag over an
    // 802.1Q one as eth_type(0x88a8),vlan(vid=10,..),encap(eth_type(0x8100));
    // parse-pcap reads both tags.
    #[test]
    fn tags_keep_their_tpids_up_to_the_vlan_limit() {
        let mut frame = eth(ethertype::IPV4, Some(0x0014), &ipv4(6, 0, &tcp_syn()));
        frame.splice(12..12, [0x88, 0xa8, 0x00, 0x0a]);
        let both = extract(&frame, 1);
        assert_eq!(both.get(l::VLAN_TCI), 0x100a);
        assert_eq!(both.get(l::VLAN_TPID), 0x88a8);
        assert_eq!(both.get(l::VLAN_TCI1), 0x1014);
        assert_eq!(both.get(l::VLAN_TPID1), 0x8100);
        assert_eq!(both.get(l::ETH_TYPE), 0x0800);
        let outer = extract_tags(&frame, 1, PIPELINE_VLAN_LIMIT);
        assert_eq!(outer.get(l::VLAN_TPID), 0x88a8);
        assert_eq!((outer.get(l::VLAN_TCI1), outer.get(l::VLAN_TPID1)), (0, 0));
        assert_eq!(outer.get(l::ETH_TYPE), 0x8100);
        assert_eq!(outer.get(l::NW_PROTO), 0, "the inner tag hides IP");
    }

    #[test]
    fn tagged_tcp_syn_fills_every_layer() {
        let frame = eth(ethertype::IPV4, Some(0x2005), &ipv4(6, 0, &tcp_syn()));
        let f = extract(&frame, 3);
        assert_eq!(f.get(l::IN_PORT), 3);
        assert_eq!(f.get(l::ETH_SRC), mac(MAC_A));
        assert_eq!(f.get(l::ETH_DST), mac(MAC_B));
        assert_eq!(f.get(l::VLAN_TCI), 0x3005, "TCI with the present bit");
        assert_eq!(f.get(l::ETH_TYPE), 0x0800);
        assert_eq!(f.get(l::NW_SRC), 0x0a01_0101);
        assert_eq!(f.get(l::NW_DST), 0x0a01_0102);
        assert_eq!(f.get(l::NW_PROTO), 6);
        assert_eq!(f.get(l::NW_TOS), 0xb9);
        assert_eq!(f.get(l::NW_TTL), 64);
        assert_eq!(f.get(l::NW_FRAG), 0);
        assert_eq!(f.get(l::TP_SRC), 1234);
        assert_eq!(f.get(l::TP_DST), 80);
        assert_eq!(f.get(l::TCP_FLAGS), 0x002);
    }

    #[test]
    fn a_first_fragment_gives_its_udp_ports_though_the_datagram_is_longer() {
        // UDP length 208, of which the fragment carries 16 bytes.
        let udp = [0x0b, 0xb8, 0x0f, 0xa0, 0, 208, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        let f = extract(&eth(ethertype::IPV4, None, &ipv4(17, 0x2000, &udp)), 1);
        assert_eq!(f.get(l::NW_FRAG), FRAG_ANY);
        assert_eq!((f.get(l::TP_SRC), f.get(l::TP_DST)), (3000, 4000));
    }

    #[test]
    fn later_ipv4_fragments_have_no_transport_fields() {
        let first = extract(
            &eth(
                ethertype::IPV4,
                None,
                &ipv4(17, 0x2000, &[0, 53, 0, 53, 0, 8, 0, 0]),
            ),
            1,
        );
        assert_eq!(first.get(l::NW_FRAG), FRAG_ANY);
        assert_eq!(first.get(l::TP_DST), 53);
        let later = extract(
            &eth(
                ethertype::IPV4,
                None,
                &ipv4(17, 0x0010, &[0, 53, 0, 53, 0, 8, 0, 0]),
            ),
            1,
        );
        assert_eq!(later.get(l::NW_FRAG), FRAG_ANY | FRAG_LATER);
        assert_eq!(later.get(l::TP_DST), 0);
    }

    #[test]
    fn a_bad_ipv4_header_stops_at_the_ethertype() {
        let mut ip = ipv4(6, 0, &tcp_syn());
        ip[0] = 0x44; // header length 16: malformed
        let f = extract(&eth(ethertype::IPV4, None, &ip), 1);
        assert_eq!(f.get(l::ETH_TYPE), 0x0800);
        assert_eq!(f.get(l::NW_SRC), 0);
        assert_eq!(f.get(l::NW_PROTO), 0);
    }

    #[test]
    fn arp_request_fills_the_arp_fields() {
        let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
        a.extend_from_slice(&MAC_A);
        a.extend_from_slice(&[10, 0, 0, 1]);
        a.extend_from_slice(&[0; 6]);
        a.extend_from_slice(&[10, 0, 0, 2]);
        let f = extract(&eth(ethertype::ARP, None, &a), 2);
        assert_eq!(f.get(l::NW_PROTO), 1, "the opcode");
        assert_eq!(f.get(l::NW_SRC), 0x0a00_0001);
        assert_eq!(f.get(l::NW_DST), 0x0a00_0002);
        assert_eq!(f.get(l::ARP_SHA), mac(MAC_A));
    }

    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x6a, 0xb1, 0x23, 0x45];
        p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        p.extend_from_slice(&[next, 255]);
        p.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn neighbour_solicitation_fills_nd_fields() {
        let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
        ns.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        ns.extend_from_slice(&[1, 1]);
        ns.extend_from_slice(&MAC_A);
        let f = extract(&eth(ethertype::IPV6, None, &ipv6(58, &ns)), 1);
        assert_eq!(f.get(l::NW_PROTO), 58);
        assert_eq!(f.get(l::NW_TOS), 0xab);
        assert_eq!(f.get(l::IPV6_LABEL), 0x12345);
        assert_eq!(f.get(l::NW_TTL), 255);
        assert_eq!(f.get(l::TP_SRC), 135);
        assert_eq!(
            f.get(l::ND_TARGET),
            0xfe80_0000_0000_0000_0000_0000_0000_0002
        );
        assert_eq!(f.get(l::ARP_SHA), mac(MAC_A));
        assert_eq!(f.get(l::ND_OPTIONS_TYPE), 1);
    }

    #[test]
    fn later_ipv6_fragments_say_fragment_header() {
        let frag = [17, 0, 0x00, 0x08, 0, 0, 0, 1, 0, 53, 0, 53, 0, 8, 0, 0];
        let f = extract(&eth(ethertype::IPV6, None, &ipv6(44, &frag)), 1);
        assert_eq!(f.get(l::NW_FRAG), FRAG_ANY | FRAG_LATER);
        assert_eq!(f.get(l::NW_PROTO), 44);
        assert_eq!(f.get(l::TP_DST), 0);
    }

    #[test]
    fn plain_802_3_frames_have_no_ethertype() {
        let f = extract(&eth(0x0030, None, &[0x42, 0x42, 0x03, 0, 0, 0]), 1);
        assert_eq!(f.get(l::ETH_TYPE), Value::from(ethertype::NONE));
    }

    #[test]
    fn runt_frames_keep_only_the_port() {
        let f = extract(&[1, 2, 3], 9);
        let mut expected = Flow::zero();
        expected.set(l::IN_PORT, 9);
        assert_eq!(f, expected);
    }

    proptest! {
        #[test]
        fn extraction_never_panics(frame in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = extract(&frame, 1);
        }

        #[test]
        fn extraction_of_mutated_frames_never_panics(at in 0usize..60, byte in any::<u8>()) {
            let mut frame = eth(ethertype::IPV4, Some(5), &ipv4(6, 0, &tcp_syn()));
            let i = at % frame.len();
            frame[i] = byte;
            let _ = extract(&frame, 1);
        }
    }
}
