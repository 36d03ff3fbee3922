//! OVS's murmur-style hash steps (its `hash_add`, `hash_add64`,
//! `hash_finish` and `hash_int`) and Bob Jenkins' lookup3 over bytes
//! (`jhash_bytes`), for the choices whose outcome users see and compare
//! with OVS: the order flooding visits ports, the `dp_hash` the
//! datapath's `hash(sym_l4(BASIS))` action computes (OVS's symmetric
//! L3/L4 hash, which picks a select group's bucket), and the link or
//! member `multipath` and `bundle` choose (`ofproto::flow_hash`).

use nxm_fields::format::{FRAG_ANY, FRAG_LATER};
use nxm_fields::layout as l;
use nxm_fields::prereq::{ETH_TYPE_IP, ETH_TYPE_IPV6};
use nxm_fields::{Flow, Value};

const IPPROTO_TCP: Value = 6;
const IPPROTO_UDP: Value = 17;
const IPPROTO_SCTP: Value = 132;

/// Mixes 32 bits of data into `hash`.
pub fn hash_add(hash: u32, data: u32) -> u32 {
    let data = data
        .wrapping_mul(0xcc9e_2d51)
        .rotate_left(15)
        .wrapping_mul(0x1b87_3593);
    (hash ^ data)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

/// Mixes 64 bits of data into `hash`, low half first.
pub fn hash_add64(hash: u32, data: u64) -> u32 {
    hash_add(hash_add(hash, data as u32), (data >> 32) as u32)
}

/// The final avalanche, with `len` (the bytes hashed) folded in.
pub fn hash_finish(hash: u32, len: u32) -> u32 {
    let mut h = hash ^ len;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The hash of one 32-bit word with a basis.
pub fn hash_int(x: u32, basis: u32) -> u32 {
    hash_finish(hash_add(hash_add(x, 0), basis), 8)
}

/// OVS's symmetric L3/L4 hash of a flow with `basis`, UDP ports left
/// out (the datapath's `sym_l4`, `multipath`'s `symmetric_l3l4`).
pub fn sym_l4_hash(flow: &Flow, basis: u32) -> u32 {
    sym_l3l4_hash(flow, basis, false)
}

/// OVS's symmetric L3/L4 hash of a flow with `basis` (the same both
/// ways): addresses, protocol and the ports of TCP, SCTP and, if asked,
/// UDP, with its fields read as OVS reads them from memory: network byte
/// order taken as a little-endian number. Not IP: its symmetric L2 hash.
pub fn sym_l3l4_hash(flow: &Flow, basis: u32, with_udp_ports: bool) -> u32 {
    let mut hash = match flow.get(l::ETH_TYPE) as u16 {
        ETH_TYPE_IP => {
            let x = (flow.get(l::NW_SRC) ^ flow.get(l::NW_DST)) as u32;
            hash_add(basis, x.swap_bytes())
        }
        ETH_TYPE_IPV6 => {
            let x = (flow.get(l::IPV6_SRC) ^ flow.get(l::IPV6_DST)).to_be_bytes();
            x.chunks_exact(8).fold(basis, |h, half| {
                let mut word = [0u8; 8];
                word.copy_from_slice(half);
                hash_add64(h, u64::from_le_bytes(word))
            })
        }
        _ => return sym_l2_hash(flow, basis),
    };
    hash = hash_add(hash, flow.get(l::NW_PROTO) as u32);
    let whole = flow.get(l::NW_FRAG) & (FRAG_ANY | FRAG_LATER) == 0;
    let ports = match flow.get(l::NW_PROTO) {
        IPPROTO_TCP | IPPROTO_SCTP => true,
        IPPROTO_UDP => with_udp_ports,
        _ => false,
    };
    if whole && ports {
        let x = (flow.get(l::TP_SRC) ^ flow.get(l::TP_DST)) as u16;
        hash = hash_add(hash, u32::from(x.swap_bytes()));
    }
    hash_finish(hash, basis)
}

/// The Ethernet type, the VLAN ids of both tags (XORed) and the XOR of
/// the two addresses, as three words of bytes in wire order.
fn sym_l2_hash(flow: &Flow, basis: u32) -> u32 {
    const VID: Value = 0x0fff;
    let eth_type = (flow.get(l::ETH_TYPE) as u16).to_be_bytes();
    let vid = (((flow.get(l::VLAN_TCI) ^ flow.get(l::VLAN_TCI1)) & VID) as u16).to_be_bytes();
    let addrs = ((flow.get(l::ETH_SRC) ^ flow.get(l::ETH_DST)) as u64).to_be_bytes();
    // The 48-bit address is the low 6 of the 8 bytes.
    let words = [
        [eth_type[0], eth_type[1], vid[0], vid[1]],
        [addrs[2], addrs[3], addrs[4], addrs[5]],
        [addrs[6], addrs[7], 0, 0],
    ];
    let hash = words
        .iter()
        .fold(basis, |h, w| hash_add(h, u32::from_le_bytes(*w)));
    hash_finish(hash, basis)
}

/// Bob Jenkins' lookup3 `hashlittle` over `bytes` as OVS runs it on
/// x86 (its `jhash_bytes`): 32-bit words read little-endian, a short
/// tail padded with zeros, and no final mixing when the bytes end on a
/// 12-byte block.
pub fn jhash_bytes(bytes: &[u8], basis: u32) -> u32 {
    let init = 0xdead_beef_u32
        .wrapping_add(bytes.len() as u32)
        .wrapping_add(basis);
    let mut abc = [init; 3];
    let mut blocks = bytes.chunks_exact(12);
    for block in &mut blocks {
        add_block(&mut abc, block);
        jhash_mix(&mut abc);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut block = [0u8; 12];
        block[..tail.len()].copy_from_slice(tail);
        add_block(&mut abc, &block);
        jhash_final(&mut abc);
    }
    abc[2]
}

/// Adds a 12-byte block's three little-endian words to a, b and c.
fn add_block(abc: &mut [u32; 3], block: &[u8]) {
    for (x, word) in abc.iter_mut().zip(block.chunks_exact(4)) {
        let mut w = [0u8; 4];
        w.copy_from_slice(word);
        *x = x.wrapping_add(u32::from_le_bytes(w));
    }
}

/// lookup3's `mix()`.
fn jhash_mix(abc: &mut [u32; 3]) {
    let [a, b, c] = abc;
    *a = a.wrapping_sub(*c) ^ c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a) ^ a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b) ^ b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c) ^ c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a) ^ a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b) ^ b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

/// lookup3's `final()`.
fn jhash_final(abc: &mut [u32; 3]) {
    let [a, b, c] = abc;
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(14));
    *a = (*a ^ *c).wrapping_sub(c.rotate_left(11));
    *b = (*b ^ *a).wrapping_sub(a.rotate_left(25));
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(16));
    *a = (*a ^ *c).wrapping_sub(c.rotate_left(4));
    *b = (*b ^ *a).wrapping_sub(a.rotate_left(14));
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(24));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_murmur3_steps() {
        // MurmurHash3_x86_32 of the 4 bytes 00 00 00 00 with seed 0.
        assert_eq!(hash_finish(hash_add(0, 0), 4), 0x2362_f9de);
        assert_eq!(hash_add64(7, 0x1_0000_0002), hash_add(hash_add(7, 2), 1));
    }

    fn ip_flow(src: Value, dst: Value, proto: Value, sport: Value, dport: Value) -> Flow {
        let mut f = Flow::zero();
        f.set(l::ETH_TYPE, Value::from(ETH_TYPE_IP));
        f.set(l::NW_SRC, src);
        f.set(l::NW_DST, dst);
        f.set(l::NW_PROTO, proto);
        f.set(l::TP_SRC, sport);
        f.set(l::TP_DST, dport);
        f
    }

    #[test]
    fn sym_l4_is_the_same_both_ways_and_leaves_udp_ports_out() {
        let tcp = ip_flow(0x0a00_0001, 0x0a00_0002, 6, 1000, 80);
        let back = ip_flow(0x0a00_0002, 0x0a00_0001, 6, 80, 1000);
        assert_eq!(sym_l4_hash(&tcp, 0), sym_l4_hash(&back, 0));
        let other_port = ip_flow(0x0a00_0001, 0x0a00_0002, 6, 1001, 80);
        assert_ne!(sym_l4_hash(&tcp, 0), sym_l4_hash(&other_port, 0));
        let udp = ip_flow(0x0a00_0001, 0x0a00_0002, 17, 1000, 53);
        let udp2 = ip_flow(0x0a00_0001, 0x0a00_0002, 17, 1001, 53);
        assert_eq!(sym_l4_hash(&udp, 0), sym_l4_hash(&udp2, 0));
        assert_ne!(sym_l4_hash(&udp, 0), sym_l4_hash(&udp, 1));
        assert_ne!(sym_l3l4_hash(&udp, 0, true), sym_l3l4_hash(&udp2, 0, true));
        let udp_back = ip_flow(0x0a00_0002, 0x0a00_0001, 17, 53, 1000);
        assert_eq!(
            sym_l3l4_hash(&udp, 0, true),
            sym_l3l4_hash(&udp_back, 0, true)
        );
    }

    #[test]
    fn lookup3_matches_its_published_vectors() {
        // lookup3.c's own self-test values.
        assert_eq!(jhash_bytes(b"", 0), 0xdead_beef);
        assert_eq!(
            jhash_bytes(b"Four score and seven years ago", 0),
            0x1777_0551
        );
        assert_eq!(
            jhash_bytes(b"Four score and seven years ago", 1),
            0xcd62_8161
        );
    }
}
