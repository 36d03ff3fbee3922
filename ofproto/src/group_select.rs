//! How a select group picks its bucket, as OVS 3.1 picks it by default
//! (its `dp_hash` selection method): the datapath computes the packet's
//! `dp_hash` (`hash(sym_l4(0))`: its addresses, protocol and TCP and SCTP
//! ports, the same both ways) and recirculates; on its second pass the
//! hash, masked to the size of the group's table of hash values, indexes
//! that table, whose values are shared out among the buckets by their
//! weights (Webster's method, at least 16 and at most 256 values, a power
//! of two); from that value on, the first live bucket in the table is
//! used.
//!
//! A group whose weights need more than 256 values (or that has no weight
//! at all) is picked in one pass instead (`xlate::select`).

use openflow_codec::message::group::Bucket;

/// The most hash values a group's table may have: 256, as OVS 3.1
/// accepts for its default selection (weights 1 and 255 use dp_hash,
/// weights 1 and 256 do not).
const MAX_HASH_VALUES: u64 = 256;
/// The fewest it has.
const MIN_HASH_VALUES: u64 = 16;

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
pub fn pick(table: &[usize], hash: u32, mut live: impl FnMut(usize) -> bool) -> Option<usize> {
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
        assert_eq!(hash_table(&buckets(&[1, 100])).map(|t| t.len()), Some(128));
        assert_eq!(hash_table(&buckets(&[1, 255])).map(|t| t.len()), Some(256));
        assert_eq!(hash_table(&buckets(&[1, 256])), None);
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
