//! The hashes `multipath` and `bundle` compute over a packet's fields (OVS's
//! `flow_hash_fields()` for each NX_HASH_FIELDS_* set), bit for bit as OVS
//! 3.1 computes them on x86, so that a packet takes the same link or
//! member in ctswitch as in OVS; and the fields each hash reads, for the
//! megaflow (OVS's `flow_mask_hash_fields()`).
//!
//! OVS hashes C structures as they lie in memory: fields in network byte
//! order, padding zeroed, words read little-endian. The structures are
//! rebuilt here as byte arrays with the same layout.

use datapath::hash::{jhash_bytes, sym_l3l4_hash};
use nxm_fields::flow::slot_ones;
use nxm_fields::format::{FRAG_ANY, FRAG_LATER};
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq::{
    ETH_TYPE_IP, ETH_TYPE_IPV6, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
};
use nxm_fields::{Flow, Value};
use openflow_codec::action::HashFields;

/// A TCI's VLAN id.
const VLAN_VID: Value = 0x0fff;
/// A TCI's VLAN id and its "a tag is present" bit.
const VLAN_VID_CFI: Value = 0x1fff;

/// The hash of `flow`'s `fields` with `basis`.
pub fn hash_fields(flow: &Flow, fields: HashFields, basis: u16) -> u32 {
    let basis = u32::from(basis);
    match fields {
        HashFields::EthSrc => jhash_bytes(&slot_bytes(flow, l::ETH_SRC), basis),
        HashFields::SymmetricL4 => symmetric_l4(flow, basis),
        HashFields::SymmetricL3L4 => sym_l3l4_hash(flow, basis, false),
        HashFields::SymmetricL3L4Udp => sym_l3l4_hash(flow, basis, true),
        HashFields::NwSrc => one_address(flow, [l::NW_SRC, l::IPV6_SRC], basis),
        HashFields::NwDst => one_address(flow, [l::NW_DST, l::IPV6_DST], basis),
        HashFields::SymmetricL3 => symmetric_l3(flow, basis),
    }
}

/// Adds to `wc` the bits of `flow` that [`hash_fields`] reads for
/// `fields`, exactly as OVS 3.1 adds them, quirk included: for a frame
/// that is not IP, `symmetric_l3l4` hashes the Ethernet addresses and
/// VLAN ids but keys none of them, so a cached flow answers for other
/// addresses with the first frame's choice (in OVS as here; the megaflows
/// and the datapath actions traced are OVS's).
pub fn unwildcard_hash_fields(flow: &Flow, fields: HashFields, wc: &mut Flow) {
    let mut exact = |slot: Slot| wc.set(slot, slot_ones(slot));
    let eth_type = flow.get(l::ETH_TYPE) as u16;
    let addrs = match eth_type {
        ETH_TYPE_IP => Some([l::NW_SRC, l::NW_DST]),
        ETH_TYPE_IPV6 => Some([l::IPV6_SRC, l::IPV6_DST]),
        _ => None,
    };
    let proto = flow.get(l::NW_PROTO) as u8;
    match fields {
        HashFields::EthSrc => exact(l::ETH_SRC),
        HashFields::SymmetricL4 => {
            exact(l::ETH_SRC);
            exact(l::ETH_DST);
            if let Some(addrs) = addrs {
                addrs.into_iter().for_each(&mut exact);
                exact(l::NW_PROTO);
                // The hash leaves UDP ports out, and the mask does too.
                if proto != IPPROTO_UDP {
                    ports(flow, wc);
                }
            }
            vlan_ids(wc);
        }
        HashFields::SymmetricL3L4 | HashFields::SymmetricL3L4Udp => {
            let Some(addrs) = addrs else { return };
            addrs.into_iter().for_each(&mut exact);
            exact(l::NW_PROTO);
            let udp = fields == HashFields::SymmetricL3L4Udp && proto == IPPROTO_UDP;
            if whole(flow) && (udp || matches!(proto, IPPROTO_TCP | IPPROTO_SCTP)) {
                exact(l::TP_SRC);
                exact(l::TP_DST);
            }
        }
        HashFields::NwSrc => addrs.into_iter().for_each(|[src, _]| exact(src)),
        HashFields::NwDst => addrs.into_iter().for_each(|[_, dst]| exact(dst)),
        HashFields::SymmetricL3 => addrs.into_iter().flatten().for_each(exact),
    }
}

/// The VLAN id and "a tag is present" bits of both tags.
fn vlan_ids(wc: &mut Flow) {
    for slot in [l::VLAN_TCI, l::VLAN_TCI1] {
        wc.set(slot, wc.get(slot) | VLAN_VID_CFI);
    }
}

/// OVS's `flow_unwildcard_tp_ports()`: the ports, or for ICMP the type
/// and code (the low byte of each).
fn ports(flow: &Flow, wc: &mut Flow) {
    let mask = if flow.get(l::NW_PROTO) as u8 == IPPROTO_ICMP {
        0xff
    } else {
        slot_ones(l::TP_SRC)
    };
    for slot in [l::TP_SRC, l::TP_DST] {
        wc.set(slot, wc.get(slot) | mask);
    }
}

/// Not a later fragment or a first one: the ports are there.
fn whole(flow: &Flow) -> bool {
    flow.get(l::NW_FRAG) & (FRAG_ANY | FRAG_LATER) == 0
}

/// A slot's bytes in network order, as the flow keeps them.
fn slot_bytes(flow: &Flow, slot: Slot) -> Vec<u8> {
    let bytes = flow.get(slot).to_be_bytes();
    bytes[bytes.len() - slot.len..].to_vec()
}

/// The XOR of two slots' bytes.
fn xor_bytes(flow: &Flow, a: Slot, b: Slot) -> Vec<u8> {
    let (a, b) = (slot_bytes(flow, a), slot_bytes(flow, b));
    a.iter().zip(&b).map(|(x, y)| x ^ y).collect()
}

/// `nw_src` or `nw_dst`: the address of the packet's IP version, or, not
/// IP, the basis itself.
fn one_address(flow: &Flow, [v4, v6]: [Slot; 2], basis: u32) -> u32 {
    match flow.get(l::ETH_TYPE) as u16 {
        ETH_TYPE_IP => jhash_bytes(&slot_bytes(flow, v4), basis),
        ETH_TYPE_IPV6 => jhash_bytes(&slot_bytes(flow, v6), basis),
        _ => basis,
    }
}

/// The XOR of the two addresses of the packet's IP version (empty when
/// not IP).
fn address_xor(flow: &Flow) -> Vec<u8> {
    match flow.get(l::ETH_TYPE) as u16 {
        ETH_TYPE_IP => xor_bytes(flow, l::NW_SRC, l::NW_DST),
        ETH_TYPE_IPV6 => xor_bytes(flow, l::IPV6_SRC, l::IPV6_DST),
        _ => Vec::new(),
    }
}

/// OVS's `flow_hash_symmetric_l4()`: lookup3 over a 32-byte structure of
/// the XORed IP addresses (16 bytes), the Ethernet type, the XORed VLAN
/// ids of both tags, the XORed TCP or SCTP ports, the XORed Ethernet
/// addresses and the IP protocol, then padding.
fn symmetric_l4(flow: &Flow, basis: u32) -> u32 {
    let mut s = [0u8; 32];
    let addrs = address_xor(flow);
    s[..addrs.len()].copy_from_slice(&addrs);
    s[16..18].copy_from_slice(&(flow.get(l::ETH_TYPE) as u16).to_be_bytes());
    let vid = (flow.get(l::VLAN_TCI) ^ flow.get(l::VLAN_TCI1)) & VLAN_VID;
    s[18..20].copy_from_slice(&(vid as u16).to_be_bytes());
    if !addrs.is_empty() {
        let proto = flow.get(l::NW_PROTO) as u8;
        if matches!(proto, IPPROTO_TCP | IPPROTO_SCTP) {
            let x = (flow.get(l::TP_SRC) ^ flow.get(l::TP_DST)) as u16;
            s[20..22].copy_from_slice(&x.to_be_bytes());
        }
        s[28] = proto;
    }
    s[22..28].copy_from_slice(&xor_bytes(flow, l::ETH_SRC, l::ETH_DST));
    jhash_bytes(&s, basis)
}

/// OVS's `flow_hash_symmetric_l3()`: lookup3 over a 20-byte structure of
/// the XORed IP addresses (16 bytes) and the Ethernet type, then padding.
fn symmetric_l3(flow: &Flow, basis: u32) -> u32 {
    let mut s = [0u8; 20];
    let addrs = address_xor(flow);
    s[..addrs.len()].copy_from_slice(&addrs);
    s[16..18].copy_from_slice(&(flow.get(l::ETH_TYPE) as u16).to_be_bytes());
    jhash_bytes(&s, basis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxm_fields::prereq::ETH_TYPE_ARP;

    fn flow(slots: &[(Slot, Value)]) -> Flow {
        let mut f = Flow::zero();
        for &(slot, value) in slots {
            f.set(slot, value);
        }
        f
    }

    const MAC1: Value = 0x5054_0000_0001;
    const MAC2: Value = 0x5054_0000_0002;
    const IP1: Value = 0x0a00_0001;
    const IP2: Value = 0x0a00_0002;

    fn ip4(proto: u8, src: Value, dst: Value, ports: (Value, Value)) -> Flow {
        flow(&[
            (l::ETH_SRC, MAC1),
            (l::ETH_DST, MAC2),
            (l::ETH_TYPE, ETH_TYPE_IP.into()),
            (l::NW_SRC, src),
            (l::NW_DST, dst),
            (l::NW_PROTO, proto.into()),
            (l::TP_SRC, ports.0),
            (l::TP_DST, ports.1),
        ])
    }

    /// Every field set's hash with basis 7, in code order.
    fn all(f: &Flow) -> Vec<u32> {
        (0..7)
            .filter_map(HashFields::from_code)
            .map(|fields| hash_fields(f, fields, 7))
            .collect()
    }

    // The expected values are OVS 3.1's, read from `ofproto/trace` of
    // the same flows through `multipath(FIELDS,7,modulo_n,65536,0,
    // reg0[0..15]),multipath(FIELDS,7,hash_threshold,65536,0,reg0[16..31])`,
    // which leaves the whole 32-bit hash in reg0.

    #[test]
    fn ipv4_tcp_and_udp_hashes_are_ovs_hashes() {
        let tcp = ip4(IPPROTO_TCP, IP1, IP2, (1000, 80));
        assert_eq!(
            all(&tcp),
            [
                0x5583_0172,
                0x4174_d5dc,
                0xa379_ead2,
                0xa379_ead2,
                0xe004_c104,
                0xe61f_0538,
                0xc085_1075
            ]
        );
        let udp = ip4(IPPROTO_UDP, IP1, IP2, (1000, 53));
        assert_eq!(
            all(&udp),
            [
                0x5583_0172,
                0xfda9_c076,
                0x3c59_5efd,
                0x751c_10a5,
                0xe004_c104,
                0xe61f_0538,
                0xc085_1075
            ]
        );
    }

    #[test]
    fn ipv6_arp_and_icmp_hashes_are_ovs_hashes() {
        let tcp6 = flow(&[
            (l::ETH_SRC, MAC1),
            (l::ETH_DST, MAC2),
            (l::ETH_TYPE, ETH_TYPE_IPV6.into()),
            (l::IPV6_SRC, 0x2001_0db8 << 96 | 1),
            (l::IPV6_DST, 0x2001_0db8 << 96 | 2),
            (l::NW_PROTO, IPPROTO_TCP.into()),
            (l::TP_SRC, 1000),
            (l::TP_DST, 80),
        ]);
        assert_eq!(
            all(&tcp6),
            [
                0x5583_0172,
                0x7cdc_a4f7,
                0x7974_522d,
                0x7974_522d,
                0xd7f2_ac44,
                0xb739_83d5,
                0xa004_db09
            ]
        );
        // VLAN 5; not IP, so nw_src and nw_dst hash to the basis.
        let arp = flow(&[
            (l::ETH_SRC, MAC1),
            (l::ETH_DST, MAC2),
            (l::ETH_TYPE, ETH_TYPE_ARP.into()),
            (l::VLAN_TCI, 0x1005),
            (l::NW_SRC, IP1),
            (l::NW_DST, IP2),
        ]);
        assert_eq!(
            all(&arp),
            [
                0x5583_0172,
                0xa51e_7c99,
                0x620a_a911,
                0x620a_a911,
                7,
                7,
                0xce5e_8f4a
            ]
        );
        let mut icmp = ip4(IPPROTO_ICMP, 0xc0a8_0101, 0x0808_0808, (8, 0));
        icmp.set(l::ETH_SRC, 0xaabb_ccdd_eeff);
        assert_eq!(
            all(&icmp),
            [
                0x2de3_73f2,
                0xbeca_a73b,
                0x1e31_42aa,
                0x1e31_42aa,
                0x4ee1_eee9,
                0x3d00_ed7f,
                0x6091_00b6
            ]
        );
    }

    #[test]
    fn symmetric_hashes_are_the_same_both_ways() {
        let there = ip4(IPPROTO_TCP, IP1, IP2, (1000, 80));
        let mut back = ip4(IPPROTO_TCP, IP2, IP1, (80, 1000));
        back.set(l::ETH_SRC, MAC2);
        back.set(l::ETH_DST, MAC1);
        for code in [1, 2, 3, 6] {
            let fields = HashFields::from_code(code).unwrap();
            assert_eq!(
                hash_fields(&there, fields, 3),
                hash_fields(&back, fields, 3)
            );
        }
    }

    #[test]
    fn masks_cover_what_each_hash_reads() {
        let udp = ip4(IPPROTO_UDP, IP1, IP2, (1000, 53));
        let mask = |fields| {
            let mut wc = Flow::zero();
            unwildcard_hash_fields(&udp, fields, &mut wc);
            [
                l::ETH_SRC,
                l::ETH_DST,
                l::NW_SRC,
                l::NW_DST,
                l::NW_PROTO,
                l::TP_SRC,
            ]
            .map(|s| wc.get(s) != 0)
        };
        let t = true;
        let f = false;
        assert_eq!(mask(HashFields::EthSrc), [t, f, f, f, f, f]);
        assert_eq!(mask(HashFields::SymmetricL4), [t, t, t, t, t, f]);
        assert_eq!(mask(HashFields::SymmetricL3L4), [f, f, t, t, t, f]);
        assert_eq!(mask(HashFields::SymmetricL3L4Udp), [f, f, t, t, t, t]);
        assert_eq!(mask(HashFields::NwDst), [f, f, f, t, f, f]);
        assert_eq!(mask(HashFields::SymmetricL3), [f, f, t, t, f, f]);
        let mut wc = Flow::zero();
        let icmp = ip4(IPPROTO_ICMP, IP1, IP2, (8, 0));
        unwildcard_hash_fields(&icmp, HashFields::SymmetricL4, &mut wc);
        assert_eq!((wc.get(l::TP_SRC), wc.get(l::TP_DST)), (0xff, 0xff));
        // Not IP: OVS's symmetric_l3l4 keys nothing (although it hashes
        // the Ethernet header).
        let mut arp = udp.clone();
        arp.set(l::ETH_TYPE, ETH_TYPE_ARP.into());
        let mut wc = Flow::zero();
        unwildcard_hash_fields(&arp, HashFields::SymmetricL3L4Udp, &mut wc);
        assert_eq!(wc, Flow::zero());
    }
}
