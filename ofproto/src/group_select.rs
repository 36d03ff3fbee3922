//! How a select group picks its bucket, as OVS 3.1 picks it by default:
//! a hash of the packet's addresses, protocol and (TCP and SCTP) ports,
//! the same both ways (OVS's `sym_l4` datapath hash), indexes a table of
//! hash values shared out among the buckets by their weights (Webster's
//! method, at least 16 and at most 64 values); from that value on, the
//! first live bucket in the table is used.
//!
//! A group whose weights need more than 64 values falls back to the
//! caller's own choice ([`select_bucket`](crate::group::select_bucket)).

use nxm_fields::format::{FRAG_ANY, FRAG_LATER};
use nxm_fields::layout as l;
use nxm_fields::prereq::{ETH_TYPE_IP, ETH_TYPE_IPV6};
use nxm_fields::{Flow, Value};
use openflow_codec::message::group::Bucket;

use crate::ovs_hash::{hash_add, hash_add64, hash_finish};

/// The most hash values a group's table may have.
const MAX_HASH_VALUES: u64 = 64;
/// The fewest it has.
const MIN_HASH_VALUES: u64 = 16;

const IPPROTO_TCP: Value = 6;
const IPPROTO_SCTP: Value = 132;

/// The fields [`sym_l4_hash`] reads from a packet's flow, for the
/// megaflow: the addresses of its IP version, the protocol, the fragment
/// bits and, for TCP and SCTP, the ports.
pub fn sym_l4_fields(flow: &Flow) -> Vec<l::Slot> {
    let addrs = match flow.get(l::ETH_TYPE) as u16 {
        ETH_TYPE_IP => [l::NW_SRC, l::NW_DST],
        ETH_TYPE_IPV6 => [l::IPV6_SRC, l::IPV6_DST],
        _ => {
            return vec![
                l::ETH_TYPE,
                l::ETH_SRC,
                l::ETH_DST,
                l::VLAN_TCI,
                l::VLAN_TCI1,
            ]
        }
    };
    let mut slots = vec![l::ETH_TYPE, addrs[0], addrs[1], l::NW_PROTO, l::NW_FRAG];
    if has_ports(flow) {
        slots.extend([l::TP_SRC, l::TP_DST]);
    }
    slots
}

fn has_ports(flow: &Flow) -> bool {
    flow.get(l::NW_FRAG) & (FRAG_ANY | FRAG_LATER) == 0
        && matches!(flow.get(l::NW_PROTO), IPPROTO_TCP | IPPROTO_SCTP)
}

/// OVS's symmetric L3/L4 hash of a flow (UDP ports left out), with its
/// fields read as OVS reads them from memory: network byte order taken
/// as a little-endian number. Not IP: its symmetric L2 hash.
pub fn sym_l4_hash(flow: &Flow) -> u32 {
    let mut hash = match flow.get(l::ETH_TYPE) as u16 {
        ETH_TYPE_IP => {
            let x = (flow.get(l::NW_SRC) ^ flow.get(l::NW_DST)) as u32;
            hash_add(0, x.swap_bytes())
        }
        ETH_TYPE_IPV6 => {
            let x = (flow.get(l::IPV6_SRC) ^ flow.get(l::IPV6_DST)).to_be_bytes();
            x.chunks_exact(8).fold(0, |h, half| {
                let mut word = [0u8; 8];
                word.copy_from_slice(half);
                hash_add64(h, u64::from_le_bytes(word))
            })
        }
        _ => return sym_l2_hash(flow),
    };
    hash = hash_add(hash, flow.get(l::NW_PROTO) as u32);
    if has_ports(flow) {
        let x = (flow.get(l::TP_SRC) ^ flow.get(l::TP_DST)) as u16;
        hash = hash_add(hash, u32::from(x.swap_bytes()));
    }
    hash_finish(hash, 0)
}

/// The Ethernet type, the VLAN ids of both tags (XORed) and the XOR of
/// the two addresses, as three words of bytes in wire order.
fn sym_l2_hash(flow: &Flow) -> u32 {
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
        .fold(0, |h, w| hash_add(h, u32::from_le_bytes(*w)));
    hash_finish(hash, 0)
}

/// The group's table of hash values, each naming a bucket (its index),
/// shared out by weight; `None` when the weights are all zero or need
/// more than [`MAX_HASH_VALUES`] values.
pub fn hash_table(buckets: &[Bucket]) -> Option<Vec<usize>> {
    let weights: Vec<u64> = buckets.iter().map(|b| u64::from(b.weight)).collect();
    let total: u64 = weights.iter().sum();
    let min = weights.iter().copied().filter(|&w| w > 0).min()?;
    let slots = total.div_ceil(min).next_power_of_two().max(MIN_HASH_VALUES);
    if slots > MAX_HASH_VALUES {
        return None;
    }
    // Webster's method: each value goes to the bucket with the highest
    // weight / divisor (the first on ties), whose divisor grows by 2.
    let mut divisors = vec![1u64; weights.len()];
    let mut table = Vec::with_capacity(slots as usize);
    for _ in 0..slots {
        let mut best = 0;
        for i in 1..weights.len() {
            // w_i / d_i > w_best / d_best, in integers.
            let (wi, di) = (weights[i], divisors[i]);
            let (wb, db) = (weights[best], divisors[best]);
            if wi * db > wb * di {
                best = i;
            }
        }
        divisors[best] += 2;
        table.push(best);
    }
    Some(table)
}

/// The bucket for `hash`: the first live one from its value on.
pub fn pick(table: &[usize], hash: u32, live: impl Fn(usize) -> bool) -> Option<usize> {
    let n = table.len();
    (0..n).find_map(|i| {
        let bucket = *table.get((hash as usize).wrapping_add(i) % n.max(1))?;
        live(bucket).then_some(bucket)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(weights: &[u16]) -> Vec<Bucket> {
        weights
            .iter()
            .map(|&weight| Bucket {
                weight,
                watch_port: 0,
                watch_group: 0,
                actions: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn values_are_shared_by_weight() {
        let t = hash_table(&buckets(&[1, 1, 1])).unwrap();
        assert_eq!(t.len(), 16);
        assert_eq!(t[..6], [0, 1, 2, 0, 1, 2]);
        let t = hash_table(&buckets(&[10, 30])).unwrap();
        assert_eq!(t.len(), 16);
        assert_eq!(t.iter().filter(|&&b| b == 1).count(), 12);
        assert_eq!(hash_table(&buckets(&[1, 100])), None);
        assert_eq!(hash_table(&buckets(&[0, 0])), None);
    }

    #[test]
    fn dead_buckets_pass_to_the_next_value() {
        let t = [0, 1, 2, 0];
        assert_eq!(pick(&t, 1, |_| true), Some(1));
        assert_eq!(pick(&t, 1, |b| b != 1), Some(2));
        assert_eq!(pick(&t, 7, |b| b == 1), Some(1));
        assert_eq!(pick(&t, 7, |_| false), None);
    }
}
