//! Connection counts and limits: the global limit, a default limit for
//! every zone with per-zone overrides, and the count of commits each
//! zone's limit refused. Counts are atomics indexed by zone so that the
//! packet path never takes a lock to check them.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::cache_line::CacheLine;

/// OVS's default global limit.
pub const DEFAULT_GLOBAL_LIMIT: u32 = 3_000_000;

const ZONES: usize = 1 << 16;
/// A zone without an override follows the default zone limit.
const NO_OVERRIDE: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct Limits {
    global: AtomicU32,
    default_zone: AtomicU32,
    zone: Box<[AtomicU32]>,
    /// Written by every commit and every deletion: kept away from what
    /// packet threads read.
    total: CacheLine<AtomicU32>,
    per_zone: Box<[AtomicU32]>,
    refused: Box<[AtomicU64]>,
}

/// Why a commit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Global,
    Zone,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            global: AtomicU32::new(DEFAULT_GLOBAL_LIMIT),
            default_zone: AtomicU32::new(0),
            zone: (0..ZONES).map(|_| AtomicU32::new(NO_OVERRIDE)).collect(),
            total: CacheLine(AtomicU32::new(0)),
            per_zone: (0..ZONES).map(|_| AtomicU32::new(0)).collect(),
            refused: (0..ZONES).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Limits {
    pub fn set_global(&self, limit: u32) {
        self.global.store(limit, Relaxed);
    }

    pub fn global(&self) -> u32 {
        self.global.load(Relaxed)
    }

    pub fn set_default_zone(&self, limit: u32) {
        self.default_zone.store(limit, Relaxed);
    }

    pub fn default_zone(&self) -> u32 {
        self.default_zone.load(Relaxed)
    }

    /// Sets (`Some`) or removes (`None`) a zone's own limit.
    pub fn set_zone(&self, zone: u16, limit: Option<u32>) {
        if let Some(slot) = self.zone.get(usize::from(zone)) {
            slot.store(limit.unwrap_or(NO_OVERRIDE), Relaxed);
        }
    }

    /// The limit in force for `zone` (0 = unlimited) and whether it is the
    /// zone's own.
    pub fn zone_limit(&self, zone: u16) -> (u32, bool) {
        match self.zone.get(usize::from(zone)).map(|l| l.load(Relaxed)) {
            Some(NO_OVERRIDE) | None => (self.default_zone(), false),
            Some(own) => (own, true),
        }
    }

    pub fn total(&self) -> u32 {
        self.total.load(Relaxed)
    }

    pub fn count(&self, zone: u16) -> u32 {
        self.per_zone
            .get(usize::from(zone))
            .map_or(0, |c| c.load(Relaxed))
    }

    pub fn refused(&self, zone: u16) -> u64 {
        self.refused
            .get(usize::from(zone))
            .map_or(0, |c| c.load(Relaxed))
    }

    /// Whether `n` more connections in `zone` fit under both limits.
    pub fn has_room(&self, zone: u16, n: u32) -> bool {
        fits(self.zone_limit(zone).0, self.count(zone), n) && fits(self.global(), self.total(), n)
    }

    /// Counts `n` connections in `zone` ahead of their commits, if they
    /// all fit under both limits; [`Limits::remove`] gives back the ones
    /// not made. Counts read meanwhile include them.
    pub fn reserve(&self, zone: u16, n: u32) -> bool {
        let Some(count) = self.per_zone.get(usize::from(zone)) else {
            return false;
        };
        let zone_before = count.fetch_add(n, Relaxed);
        let total_before = self.total.fetch_add(n, Relaxed);
        if !fits(self.zone_limit(zone).0, zone_before, n) || !fits(self.global(), total_before, n) {
            self.remove(zone, n);
            return false;
        }
        true
    }

    /// Counts a new connection in `zone` unless a limit forbids it; a
    /// refusal is counted against the zone.
    pub fn try_add(&self, zone: u16) -> Result<(), Refusal> {
        let (zone_limit, _) = self.zone_limit(zone);
        let count = self.per_zone.get(usize::from(zone));
        let refuse = |why| {
            if let Some(r) = self.refused.get(usize::from(zone)) {
                r.fetch_add(1, Relaxed);
            }
            Err(why)
        };
        if !fits(zone_limit, count.map_or(0, |c| c.load(Relaxed)), 1) {
            return refuse(Refusal::Zone);
        }
        if !fits(self.global(), self.total(), 1) {
            return refuse(Refusal::Global);
        }
        self.total.fetch_add(1, Relaxed);
        if let Some(c) = count {
            c.fetch_add(1, Relaxed);
        }
        Ok(())
    }

    /// Forgets `n` connections of `zone`.
    pub fn remove(&self, zone: u16, n: u32) {
        self.total.fetch_sub(n, Relaxed);
        if let Some(c) = self.per_zone.get(usize::from(zone)) {
            c.fetch_sub(n, Relaxed);
        }
    }
}

/// Whether `n` more connections fit beside `count` under `limit` (0:
/// unlimited).
fn fits(limit: u32, count: u32, n: u32) -> bool {
    limit == 0 || count.saturating_add(n) <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_override_beats_default_and_refusals_are_counted() {
        let l = Limits::default();
        l.set_default_zone(2);
        l.set_zone(5, Some(1));
        assert_eq!(l.try_add(5), Ok(()));
        assert_eq!(l.try_add(5), Err(Refusal::Zone));
        assert_eq!(l.refused(5), 1);
        assert_eq!(l.try_add(6), Ok(()));
        assert_eq!(l.try_add(6), Ok(()));
        assert_eq!(l.try_add(6), Err(Refusal::Zone));
        l.set_zone(6, Some(0));
        assert_eq!(l.try_add(6), Ok(()));
        assert_eq!((l.total(), l.count(6)), (4, 3));
        l.remove(6, 3);
        assert_eq!((l.total(), l.count(6)), (1, 0));
    }

    #[test]
    fn reservations_fit_under_both_limits_or_count_nothing() {
        let l = Limits::default();
        l.set_zone(3, Some(10));
        assert!(l.reserve(3, 8));
        assert!(!l.reserve(3, 3));
        assert_eq!((l.total(), l.count(3)), (8, 8));
        l.remove(3, 8);
        l.set_global(5);
        assert!(!l.reserve(4, 6));
        assert!(l.reserve(4, 5));
        assert_eq!((l.total(), l.count(4), l.refused(4)), (5, 5, 0));
    }

    #[test]
    fn global_limit_refuses_past_the_total() {
        let l = Limits::default();
        l.set_global(1);
        assert_eq!(l.try_add(0), Ok(()));
        assert_eq!(l.try_add(9), Err(Refusal::Global));
        assert_eq!(l.refused(9), 1);
    }
}
