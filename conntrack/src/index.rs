//! A shard's hash index: connection handles in open-addressed buckets of
//! one cache line each, so that a lookup costs one cache miss in the index
//! (plus one in the entry it finds).
//!
//! A bucket holds twelve slots: a 32-bit handle and an 8-bit tag (from
//! the hash; 0 marks a free slot) each. An entry goes in the first bucket
//! from its home with a free slot; every bucket it passes counts it in its
//! `overflow`, so a lookup stops at the first bucket nobody overflowed.
//!
//! [`Index`] changes the buckets only under the shard's lock. Packet
//! threads also read them without it ([`Tables::candidates`]), to find the
//! entries a batch will need before taking any lock: every slot is an
//! atomic, so such a read is never a data race, only possibly a moment
//! stale, and what it finds is a hint the caller confirms under the lock.
//! For the same reason a grown index never frees its smaller tables: a
//! reader may still be in one. They are freed with the index (together
//! they are smaller than the current one).

use std::sync::atomic::{
    AtomicU32, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::sync::{Arc, OnceLock};

use crate::prefetch::prefetch;

const SLOTS: usize = 12;
/// Tag bytes per tag word.
const LANES: usize = 4;
const ONES: u32 = 0x0101_0101;
const HIGHS: u32 = 0x8080_8080;
/// Buckets of the first table; each later one doubles.
const FIRST_BUCKETS: usize = 4;
/// Tables an index can grow through: the last one has more buckets than
/// 32-bit handles can fill.
const GENERATIONS: usize = 32;

#[derive(Debug, Default)]
#[repr(C, align(64))]
struct Bucket {
    handles: [AtomicU32; SLOTS],
    /// Twelve tag bytes, four to a word so they can be matched at once.
    tags: [AtomicU32; SLOTS / LANES],
    /// How many entries homed at or before this bucket live after it.
    overflow: AtomicU32,
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

// Writers hold the shard's lock, so a bucket has one writer at a time: a
// change is a load and a store, never a locked read-modify-write.
impl Bucket {
    fn tag(&self, slot: usize) -> u32 {
        self.tags
            .get(slot / LANES)
            .map_or(0, |w| (w.load(Relaxed) >> (8 * (slot % LANES))) & 0xff)
    }

    fn set_tag(&self, slot: usize, tag: u32) {
        if let Some(word) = self.tags.get(slot / LANES) {
            let shift = 8 * (slot % LANES);
            word.store(
                (word.load(Relaxed) & !(0xff << shift)) | (tag << shift),
                Relaxed,
            );
        }
    }

    /// Calls `f` with each slot whose tag may be `tag` until it returns
    /// `Some`.
    fn scan<T>(&self, tag: u32, mut f: impl FnMut(usize) -> Option<T>) -> Option<T> {
        for (w, word) in self.tags.iter().enumerate() {
            let mut hits = matches(word.load(Relaxed), tag);
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
        self.handles.get(slot).map_or(u32::MAX, |h| h.load(Relaxed))
    }

    fn set_handle(&self, slot: usize, handle: u32) {
        if let Some(h) = self.handles.get(slot) {
            h.store(handle, Relaxed);
        }
    }

    fn overflow(&self) -> u32 {
        self.overflow.load(Relaxed)
    }

    fn set_overflow(&self, n: u32) {
        self.overflow.store(n, Relaxed);
    }
}

/// One size of the index: a power of two of buckets.
#[derive(Debug)]
struct Table {
    buckets: Box<[Bucket]>,
}

impl Table {
    fn with_buckets(n: usize) -> Self {
        Table {
            buckets: (0..n).map(|_| Bucket::default()).collect(),
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    fn bucket(&self, i: usize) -> Option<&Bucket> {
        self.buckets.get(i & self.mask())
    }

    /// The handle whose entry `eq` accepts among those filed under `h32`.
    fn find(&self, h32: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let tag = tag_of(h32);
        for i in (h32 as usize..).take(self.buckets.len()) {
            let bucket = self.bucket(i)?;
            let found = bucket.scan(tag, |slot| {
                let handle = bucket.handle(slot);
                eq(handle).then_some(handle)
            });
            if found.is_some() {
                return found;
            }
            if bucket.overflow() == 0 {
                return None;
            }
        }
        None
    }

    fn place(&self, h32: u32, handle: u32) {
        let tag = tag_of(h32);
        for i in (h32 as usize..).take(self.buckets.len()) {
            let Some(bucket) = self.bucket(i) else {
                return;
            };
            if let Some(slot) = bucket.scan(0, Some) {
                bucket.set_handle(slot, handle);
                bucket.set_tag(slot, tag);
                return;
            }
            bucket.set_overflow(bucket.overflow() + 1);
        }
    }

    /// Removes `handle`, filed under `h32`; returns whether it was there.
    fn remove(&self, h32: u32, handle: u32) -> bool {
        let tag = tag_of(h32);
        let home = h32 as usize;
        for i in (home..).take(self.buckets.len()) {
            let Some(bucket) = self.bucket(i) else {
                return false;
            };
            let found = bucket.scan(tag, |slot| (bucket.handle(slot) == handle).then_some(slot));
            if let Some(slot) = found {
                bucket.set_tag(slot, 0);
                // The buckets it had passed no longer hold it back.
                for j in home..i {
                    if let Some(b) = self.bucket(j) {
                        b.set_overflow(b.overflow().saturating_sub(1));
                    }
                }
                return true;
            }
            if bucket.overflow() == 0 {
                return false;
            }
        }
        false
    }

    fn clear(&self) {
        for bucket in self.buckets.iter() {
            for word in &bucket.tags {
                word.store(0, Relaxed);
            }
            bucket.set_overflow(0);
        }
    }
}

/// Every table an index has had, readable without the shard's lock.
#[derive(Debug)]
pub(crate) struct Tables {
    /// Filled smallest first; each is kept until the index is dropped.
    generations: [OnceLock<Table>; GENERATIONS],
    /// The generation in use.
    current: AtomicUsize,
}

impl Default for Tables {
    fn default() -> Self {
        let tables = Tables {
            generations: Default::default(),
            current: AtomicUsize::new(0),
        };
        if let Some(first) = tables.generations.first() {
            let _ = first.set(Table::with_buckets(FIRST_BUCKETS));
        }
        tables
    }
}

impl Tables {
    fn current(&self) -> Option<&Table> {
        // Acquire: pairs with the Release in `grow`, so that the table's
        // buckets are seen as they were filed before it went in use.
        self.generations.get(self.current.load(Acquire))?.get()
    }

    /// Calls `f` with each handle filed under the same home bucket and
    /// tag as `h32`, without looking at their entries. Safe without the
    /// shard's lock, when the answer may be a moment stale: a handle may
    /// be missing (filed since) or name another entry now (removed since).
    pub fn candidates(&self, h32: u32, mut f: impl FnMut(u32)) {
        if let Some(table) = self.current() {
            table.find(h32, |handle| {
                f(handle);
                false
            });
        }
    }
}

/// Prefetches the home bucket of `h32` in the table at `location` (see
/// [`Index::location`]); a stale location only costs a useless prefetch.
pub(crate) fn prefetch_home((base, mask): (usize, usize), h32: u32) {
    prefetch(base.wrapping_add((h32 as usize & mask) * core::mem::size_of::<Bucket>()));
}

/// The index proper: its tables' writer, used under the shard's lock.
#[derive(Debug, Default)]
pub(crate) struct Index {
    tables: Arc<Tables>,
    len: usize,
}

impl Index {
    /// The tables, for readers that do not hold the shard's lock.
    pub fn tables(&self) -> Arc<Tables> {
        Arc::clone(&self.tables)
    }

    fn table(&self) -> Option<&Table> {
        self.tables.current()
    }

    /// The handle whose entry `eq` accepts among those filed under `h32`.
    pub fn find(&self, h32: u32, eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.table()?.find(h32, eq)
    }

    /// Files `handle` under `h32`. `filed` lists every entry filed so far
    /// (hash and handle), for growing: the caller reads them in the order
    /// of its own storage, which costs far fewer cache misses than
    /// fetching each entry from its bucket.
    pub fn insert<I>(&mut self, h32: u32, handle: u32, filed: impl FnOnce() -> I)
    where
        I: Iterator<Item = (u32, u32)>,
    {
        let capacity = self.table().map_or(0, |t| t.buckets.len() * SLOTS);
        // Grow at seven eighths full: probe runs stay short.
        if (self.len + 1) * 8 > capacity * 7 {
            self.grow(filed());
        }
        if let Some(table) = self.table() {
            table.place(h32, handle);
        }
        self.len += 1;
    }

    /// Moves every entry to a table of twice the buckets, filled before
    /// it goes in use; the old one stays for readers still in it.
    fn grow(&mut self, filed: impl Iterator<Item = (u32, u32)>) {
        let next = self.tables.current.load(Relaxed) + 1;
        let Some(slot) = self.tables.generations.get(next) else {
            return;
        };
        let table = Table::with_buckets(FIRST_BUCKETS << next);
        let mut len = 0;
        for (h32, handle) in filed {
            table.place(h32, handle);
            len += 1;
        }
        if slot.set(table).is_ok() {
            self.tables.current.store(next, Release);
            self.len = len;
        }
    }

    /// Removes `handle`, filed under `h32`; returns whether it was there.
    pub fn remove(&mut self, h32: u32, handle: u32) -> bool {
        let removed = self.table().is_some_and(|t| t.remove(h32, handle));
        if removed {
            self.len -= 1;
        }
        removed
    }

    /// Empties the index, keeping its size.
    pub fn clear(&mut self) {
        if let Some(table) = self.table() {
            table.clear();
        }
        self.len = 0;
    }

    /// Where the table in use is: its address and mask, as plain numbers
    /// for [`prefetch_home`], which then costs no chain of loads.
    pub fn location(&self) -> (usize, usize) {
        self.table()
            .map_or((0, 0), |t| (t.buckets.as_ptr() as usize, t.mask()))
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
            index.tables.candidates(h(n), |c| seen.push(c));
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
        assert!(
            index.table().map_or(0, |t| t.buckets.len()) > 1_000,
            "it grew"
        );
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
        let mut index = Index::default();
        let table = index.table().expect("a first table");
        assert_eq!(table.buckets.len(), 4);
        // Thirty entries with one hash: they spill over three buckets.
        for n in 0..30 {
            table.place(7, n);
        }
        index.len = 30;
        for n in 0..30 {
            assert_eq!(index.find(7, |x| x == n), Some(n));
        }
        for n in 0..30 {
            assert!(index.remove(7, n));
        }
        assert!(index
            .table()
            .is_some_and(|t| t.buckets.iter().all(|b| b.overflow() == 0)));
        assert_eq!(index.find(7, |_| true), None);
    }

    fn candidates_of(tables: &Tables, n: u32) -> Vec<u32> {
        let mut seen = Vec::new();
        tables.candidates(h(n), |c| seen.push(c));
        seen
    }

    #[test]
    fn readers_follow_the_index_through_growth_and_clear() {
        let mut index = Index::default();
        let tables = index.tables();
        for n in 0..3_000 {
            index.insert(h(n), n, || (0..n).map(|f| (h(f), f)));
        }
        assert!(tables.current.load(Relaxed) > 0, "it grew");
        assert!((0..3_000).all(|n| candidates_of(&tables, n).contains(&n)));
        index.clear();
        assert!((0..3_000).all(|n| candidates_of(&tables, n).is_empty()));
        index.insert(h(7), 7, std::iter::empty);
        assert_eq!(candidates_of(&tables, 7), vec![7]);
    }

    /// A reader without the lock, racing a writer that grows the index and
    /// files and removes entries, always finds the entries that stay.
    #[test]
    fn a_reader_without_the_lock_always_finds_what_stays_filed() {
        const STAY: u32 = 200;
        let mut index = Index::default();
        for n in 0..STAY {
            index.insert(h(n), n, || (0..n).map(|f| (h(f), f)));
        }
        let tables = index.tables();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut rounds = 0u32;
                while !done.load(Relaxed) || rounds == 0 {
                    for n in 0..STAY {
                        assert!(candidates_of(&tables, n).contains(&n), "{n} lost");
                    }
                    rounds += 1;
                }
                rounds
            });
            // Entries come and go after the ones that stay, growing the
            // index through several tables.
            for n in STAY..40_000 {
                index.insert(h(n), n, || {
                    (0..n)
                        .map(|f| (h(f), f))
                        .filter(|&(_, f)| f < STAY || f % 4 != 0)
                });
                if n % 4 == 0 {
                    assert!(index.remove(h(n), n));
                }
            }
            done.store(true, Relaxed);
            assert!(reader.join().expect("the reader") > 0);
        });
        assert!(
            tables.current.load(Relaxed) >= 8,
            "it grew through several tables"
        );
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
