//! A shard's hash index: connection handles in open-addressed buckets of
//! one cache line each, so that a lookup costs one cache miss in the index
//! (plus one in the entry it finds).
//!
//! A bucket holds twelve slots: a 32-bit handle and an 8-bit tag (from
//! the hash; 0 marks a free slot) each. An entry goes in the first bucket
//! from its home with a free slot; every bucket it passes counts it in its
//! `overflow`, so a lookup stops at the first bucket nobody overflowed.
//!
//! The index is used under the shard's lock; only its location is read
//! without it, to prefetch a bucket ([`Index::prefetch_home`]).

use crate::prefetch::prefetch;

const SLOTS: usize = 12;
/// Tag bytes per tag word.
const LANES: usize = 4;
const ONES: u32 = 0x0101_0101;
const HIGHS: u32 = 0x8080_8080;

#[derive(Debug, Default, Clone)]
#[repr(C, align(64))]
struct Bucket {
    handles: [u32; SLOTS],
    /// Twelve tag bytes, four to a word so they can be matched at once.
    tags: [u32; SLOTS / LANES],
    /// How many entries homed at or before this bucket live after it.
    overflow: u32,
}

/// The tag of a hash: a nonzero byte from bits the home bucket does not use.
fn tag_of(h32: u32) -> u32 {
    (h32 >> 24).max(1)
}

/// Bit `8 * lane + 7` set for lanes of `word` that may equal `tag`; false
/// positives are possible above a true match, never false negatives.
fn matches(word: u32, tag: u32) -> u32 {
    let x = word ^ (tag * ONES);
    x.wrapping_sub(ONES) & !x & HIGHS
}

impl Bucket {
    fn tag(&self, slot: usize) -> u32 {
        self.tags
            .get(slot / LANES)
            .map_or(0, |w| (w >> (8 * (slot % LANES))) & 0xff)
    }

    fn set_tag(&mut self, slot: usize, tag: u32) {
        if let Some(word) = self.tags.get_mut(slot / LANES) {
            let shift = 8 * (slot % LANES);
            *word = (*word & !(0xff << shift)) | (tag << shift);
        }
    }

    /// Calls `f` with each slot whose tag may be `tag` until it returns
    /// `Some`.
    fn scan<T>(&self, tag: u32, mut f: impl FnMut(usize) -> Option<T>) -> Option<T> {
        for (w, word) in self.tags.iter().enumerate() {
            let mut hits = matches(*word, tag);
            while hits != 0 {
                let lane = (hits.trailing_zeros() / 8) as usize;
                hits &= hits - 1;
                let slot = w * LANES + lane;
                if self.tag(slot) == tag {
                    if let Some(found) = f(slot) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    fn handle(&self, slot: usize) -> u32 {
        self.handles.get(slot).copied().unwrap_or(u32::MAX)
    }
}

#[derive(Debug)]
pub(crate) struct Index {
    buckets: Box<[Bucket]>,
    len: usize,
}

impl Default for Index {
    fn default() -> Self {
        Index::with_buckets(4)
    }
}

impl Index {
    fn with_buckets(n: usize) -> Self {
        Index {
            buckets: (0..n).map(|_| Bucket::default()).collect(),
            len: 0,
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    /// Where a lock-free reader finds the buckets: their address and mask.
    pub fn location(&self) -> (usize, usize) {
        (self.buckets.as_ptr() as usize, self.mask())
    }

    /// The handle whose entry `eq` accepts among those filed under `h32`.
    pub fn find(&self, h32: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let tag = tag_of(h32);
        let mut i = h32 as usize & self.mask();
        for _ in 0..self.buckets.len() {
            let bucket = self.buckets.get(i)?;
            let found = bucket.scan(tag, |slot| {
                let handle = bucket.handle(slot);
                eq(handle).then_some(handle)
            });
            if found.is_some() {
                return found;
            }
            if bucket.overflow == 0 {
                return None;
            }
            i = (i + 1) & self.mask();
        }
        None
    }

    /// Calls `f` with each handle [`Index::find`] would offer its `eq` for
    /// `h32`: those filed under the same home bucket and tag, without
    /// looking at their entries.
    pub fn candidates(&self, h32: u32, mut f: impl FnMut(u32)) {
        self.find(h32, |handle| {
            f(handle);
            false
        });
    }

    /// Files `handle` under `h32`. `filed` lists every entry filed so far
    /// (hash and handle), for growing: the caller reads them in the order
    /// of its own storage, which costs far fewer cache misses than
    /// fetching each entry from its bucket.
    pub fn insert<I>(&mut self, h32: u32, handle: u32, filed: impl FnOnce() -> I)
    where
        I: Iterator<Item = (u32, u32)>,
    {
        // Grow at seven eighths full: probe runs stay short.
        if (self.len + 1) * 8 > self.buckets.len() * SLOTS * 7 {
            self.grow(filed());
        }
        self.place(h32, handle);
        self.len += 1;
    }

    fn place(&mut self, h32: u32, handle: u32) {
        let tag = tag_of(h32);
        let mut i = h32 as usize & self.mask();
        for _ in 0..self.buckets.len() {
            let Some(bucket) = self.buckets.get_mut(i) else {
                return;
            };
            if let Some(slot) = bucket.scan(0, Some) {
                if let Some(h) = bucket.handles.get_mut(slot) {
                    *h = handle;
                }
                bucket.set_tag(slot, tag);
                return;
            }
            bucket.overflow += 1;
            i = (i + 1) & self.mask();
        }
    }

    fn grow(&mut self, filed: impl Iterator<Item = (u32, u32)>) {
        *self = Index::with_buckets(self.buckets.len() * 2);
        for (h32, handle) in filed {
            self.place(h32, handle);
            self.len += 1;
        }
    }

    /// Removes `handle`, filed under `h32`; returns whether it was there.
    pub fn remove(&mut self, h32: u32, handle: u32) -> bool {
        let tag = tag_of(h32);
        let home = h32 as usize & self.mask();
        let mut i = home;
        for _ in 0..self.buckets.len() {
            let Some(bucket) = self.buckets.get_mut(i) else {
                return false;
            };
            let found = bucket.scan(tag, |slot| (bucket.handle(slot) == handle).then_some(slot));
            if let Some(slot) = found {
                bucket.set_tag(slot, 0);
                // The buckets it had passed no longer hold it back.
                let mask = self.mask();
                let mut j = home;
                while j != i {
                    if let Some(b) = self.buckets.get_mut(j) {
                        b.overflow -= 1;
                    }
                    j = (j + 1) & mask;
                }
                self.len -= 1;
                return true;
            }
            if bucket.overflow == 0 {
                return false;
            }
            i = (i + 1) & self.mask();
        }
        false
    }

    pub fn clear(&mut self) {
        *self = Index::default();
    }

    /// Prefetches the home bucket of `h32` in the index at `location`
    /// (possibly stale: a prefetch never faults).
    pub fn prefetch_home((base, mask): (usize, usize), h32: u32) {
        prefetch(base.wrapping_add((h32 as usize & mask) * core::mem::size_of::<Bucket>()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u32) -> u32 {
        n.wrapping_mul(0x9e37_79b9)
    }

    #[test]
    fn candidates_include_the_filed_handle_and_only_same_tag_ones() {
        let mut index = Index::default();
        for n in 0..5_000 {
            index.insert(h(n), n, || (0..n).map(|f| (h(f), f)));
        }
        for n in 0..5_000 {
            let mut seen = Vec::new();
            index.candidates(h(n), |c| seen.push(c));
            assert!(seen.contains(&n), "{n}: {seen:?}");
            assert!(seen.iter().all(|&c| tag_of(h(c)) == tag_of(h(n))));
        }
    }

    #[test]
    fn bucket_is_one_cache_line() {
        assert_eq!(core::mem::size_of::<Bucket>(), 64);
    }

    #[test]
    fn inserted_handles_are_found_and_removed_ones_are_not() {
        let mut index = Index::default();
        for n in 0..10_000 {
            index.insert(h(n), n, || (0..n).map(|f| (h(f), f)));
        }
        assert!(index.buckets.len() > 1_000, "it grew");
        for n in 0..10_000 {
            assert_eq!(index.find(h(n), |x| x == n), Some(n));
        }
        for n in (0..10_000).step_by(2) {
            assert!(index.remove(h(n), n));
        }
        assert!(!index.remove(h(0), 0));
        for n in 0..10_000 {
            assert_eq!(index.find(h(n), |x| x == n).is_some(), n % 2 == 1, "{n}");
        }
        assert_eq!(index.len, 5000);
    }

    #[test]
    fn colliding_hashes_overflow_into_later_buckets_and_back() {
        let mut index = Index::with_buckets(4);
        // Thirty entries with one hash: they spill over three buckets.
        for n in 0..30 {
            index.place(7, n);
            index.len += 1;
        }
        for n in 0..30 {
            assert_eq!(index.find(7, |x| x == n), Some(n));
        }
        for n in 0..30 {
            assert!(index.remove(7, n));
        }
        assert!(index.buckets.iter().all(|b| b.overflow == 0));
        assert_eq!(index.find(7, |_| true), None);
    }

    #[test]
    fn tag_matching_finds_every_lane() {
        for lane in 0..4 {
            let word = 0x11_22_33_44u32;
            let tag = (word >> (8 * lane)) & 0xff;
            assert_ne!(matches(word, tag) & (0x80 << (8 * lane)), 0);
        }
        assert_eq!(matches(0x11_22_33_44, 0x55), 0);
    }
}
