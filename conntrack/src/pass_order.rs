//! The order a pass of [`crate::Conntrack::execute`] visits its packets
//! in: grouped by the shard their key hashes to, so that each shard's lock
//! is taken once a step, and in arrival order within a shard, so that the
//! packets of one connection keep theirs.

use crate::tracker::{Conntrack, PASS, SHARDS};

/// The packets of a pass in their arrival order: the order they are
/// handled in when the pass cannot be handled shard by shard.
pub(crate) const IN_ORDER: [u8; PASS] = {
    let mut order = [0; PASS];
    let mut i = 0;
    while i < PASS {
        order[i] = i as u8;
        i += 1;
    }
    order
};

/// The indices of a pass's packets that have a key, grouped by the shard
/// their key hashes to and in arrival order within a shard, so that
/// packets of one connection keep their order.
pub(crate) struct ShardOrder {
    order: [u8; PASS],
    len: usize,
}

impl ShardOrder {
    pub fn of(hashes: &[Option<u64>; PASS]) -> Self {
        let mut shards = hashes.iter().flatten().map(|h| Conntrack::shard_of(*h));
        let first = shards.next();
        if shards.all(|s| Some(s) == first) {
            // All in one shard (a batch of one flow, say): arrival order,
            // without the count's chain of increments to one counter.
            return Self::in_arrival_order(hashes);
        }
        let mut starts = [0u8; SHARDS + 1];
        for hash in hashes.iter().flatten() {
            if let Some(n) = starts.get_mut(Conntrack::shard_of(*hash) + 1) {
                *n += 1;
            }
        }
        for s in 1..starts.len() {
            let before = starts.get(s - 1).copied().unwrap_or(0);
            if let Some(n) = starts.get_mut(s) {
                *n += before;
            }
        }
        let mut order = [0u8; PASS];
        for (i, hash) in hashes.iter().enumerate() {
            let Some(hash) = hash else { continue };
            if let Some(next) = starts.get_mut(Conntrack::shard_of(*hash)) {
                if let Some(slot) = order.get_mut(usize::from(*next)) {
                    *slot = i as u8;
                }
                *next += 1;
            }
        }
        let len = hashes.iter().flatten().count();
        ShardOrder { order, len }
    }

    fn in_arrival_order(hashes: &[Option<u64>; PASS]) -> Self {
        let mut order = [0u8; PASS];
        let mut len = 0;
        for (i, _) in hashes.iter().enumerate().filter(|(_, h)| h.is_some()) {
            if let Some(slot) = order.get_mut(len) {
                *slot = i as u8;
            }
            len += 1;
        }
        ShardOrder { order, len }
    }

    pub fn as_slice(&self) -> &[u8] {
        self.order.get(..self.len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::SHARD_SHIFT;

    /// A pass's packets with a key, grouped by shard in shard order, each
    /// shard's in arrival order; all in one shard, in arrival order.
    #[test]
    fn shard_order_groups_by_shard_and_keeps_arrival_order_within() {
        let in_shard = |shard: u64, n: u64| Some((shard << SHARD_SHIFT) | n);
        let mut hashes = [None; PASS];
        for (i, h) in [(0, 5), (1, 2), (3, 5), (4, 0), (6, 2), (9, 2)] {
            hashes[i] = in_shard(h, i as u64);
        }
        assert_eq!(ShardOrder::of(&hashes).as_slice(), [4, 1, 6, 9, 0, 3]);
        let mut one = [None; PASS];
        for i in [2, 7, 8, 31] {
            one[i] = in_shard(11, i as u64);
        }
        assert_eq!(ShardOrder::of(&one).as_slice(), [2, 7, 8, 31]);
        assert_eq!(ShardOrder::of(&[None; PASS]).as_slice(), [0u8; 0]);
    }
}
