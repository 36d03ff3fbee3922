//! A rule's counters (packets, bytes, last use) and a table's (lookups,
//! matches), shared by the rule or table and every translation that
//! consulted it, and [`Credits`]: what one translation consulted, which
//! the datapath credits with each packet the translation's megaflow
//! handles. Counting through the megaflow is what makes cached hits count
//! as OVS counts them (there, revalidators push megaflow statistics to
//! the rules and tables xlate recorded).
//!
//! Counters are atomics so that packet threads credit them without the
//! tables' lock.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use datapath::StatsSink;

/// One rule's counters.
#[derive(Debug, Default)]
pub struct RuleStats {
    packets: AtomicU64,
    bytes: AtomicU64,
    /// When a packet last hit the rule, or when it was added (ms).
    used_ms: AtomicU64,
    /// When the rule was added or last re-learned by a `learn` action
    /// (ms): its hard timeout runs from here, as OVS's from `modified`.
    refreshed_ms: AtomicU64,
    /// The idle and hard timeouts a `fin_timeout` action cut the rule's
    /// to (seconds; 0: not cut).
    fin_idle: AtomicU16,
    fin_hard: AtomicU16,
}

impl RuleStats {
    /// Zeroed counters for a rule added at `now_ms`.
    pub fn new(now_ms: u64) -> Arc<Self> {
        Self::carried(0, 0, now_ms)
    }

    /// Counters starting from `packets` and `bytes`, last used at `now_ms`.
    pub fn carried(packets: u64, bytes: u64, now_ms: u64) -> Arc<Self> {
        Arc::new(RuleStats {
            packets: AtomicU64::new(packets),
            bytes: AtomicU64::new(bytes),
            used_ms: AtomicU64::new(now_ms),
            refreshed_ms: AtomicU64::new(now_ms),
            fin_idle: AtomicU16::new(0),
            fin_hard: AtomicU16::new(0),
        })
    }

    pub fn packets(&self) -> u64 {
        self.packets.load(Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Relaxed)
    }

    pub fn used_ms(&self) -> u64 {
        self.used_ms.load(Relaxed)
    }

    pub fn refreshed_ms(&self) -> u64 {
        self.refreshed_ms.load(Relaxed)
    }

    /// A `learn` action asked for the rule again at `now_ms`.
    pub fn refresh(&self, now_ms: u64) {
        self.refreshed_ms.fetch_max(now_ms, Relaxed);
    }

    /// A `fin_timeout` action saw a FIN or RST: the rule's idle and hard
    /// timeouts become at most `idle` and `hard` seconds (0: unchanged).
    pub fn reduce_timeouts(&self, idle: u16, hard: u16) {
        for (cap, max) in [(&self.fin_idle, idle), (&self.fin_hard, hard)] {
            if max != 0 {
                let _ = cap.fetch_update(Relaxed, Relaxed, |now| reduced(now, max));
            }
        }
    }

    /// A rule's idle and hard timeouts as `fin_timeout` left them.
    pub fn timeouts(&self, idle: u16, hard: u16) -> (u16, u16) {
        let cut =
            |timeout: u16, cap: &AtomicU16| reduced(timeout, cap.load(Relaxed)).unwrap_or(timeout);
        (cut(idle, &self.fin_idle), cut(hard, &self.fin_hard))
    }

    /// Counts `packets` packets of `bytes` bytes in all, at `now_ms`.
    pub fn credit(&self, packets: u64, bytes: u64, now_ms: u64) {
        self.packets.fetch_add(packets, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
        self.used_ms.fetch_max(now_ms, Relaxed);
    }
}

/// `timeout` cut to `max` (OVS's `reduce_timeout()`): `None` when it
/// stays (no cut asked, or already as short; 0 is "never").
fn reduced(timeout: u16, max: u16) -> Option<u16> {
    (max != 0 && (timeout == 0 || timeout > max)).then_some(max)
}

/// One table's lookup counters (OpenFlow's table statistics).
#[derive(Debug, Default)]
pub struct TableStats {
    lookups: AtomicU64,
    matched: AtomicU64,
}

impl TableStats {
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Relaxed)
    }

    pub fn matched(&self) -> u64 {
        self.matched.load(Relaxed)
    }

    /// Counts `packets` lookups, which found a rule if `matched`.
    pub fn credit(&self, packets: u64, matched: bool) {
        self.lookups.fetch_add(packets, Relaxed);
        if matched {
            self.matched.fetch_add(packets, Relaxed);
        }
    }
}

/// What one translation consulted, once per time it did (a rule
/// resubmitted to twice counts twice per packet): every table lookup and
/// whether it matched, and every rule hit; and the learned rules its
/// `learn` actions found already in place, which every packet of the
/// decision re-learns (OVS re-runs a cached learn when it pushes a
/// megaflow's statistics).
#[derive(Debug, Clone, Default)]
pub struct Credits {
    pub lookups: Vec<(Arc<TableStats>, bool)>,
    pub rules: Vec<Arc<RuleStats>>,
    pub relearned: Vec<Arc<RuleStats>>,
}

impl StatsSink for Credits {
    fn credit(&self, packets: u64, bytes: u64, now_ms: u64) {
        for (table, matched) in &self.lookups {
            table.credit(packets, *matched);
        }
        for rule in &self.rules {
            rule.credit(packets, bytes, now_ms);
        }
        for rule in &self.relearned {
            rule.refresh(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_reach_every_hit_and_keep_the_latest_use() {
        let a = RuleStats::new(5);
        let b = RuleStats::carried(2, 120, 5);
        let t = Arc::new(TableStats::default());
        let credits = Credits {
            lookups: vec![(t.clone(), true), (t.clone(), false)],
            rules: vec![a.clone(), b.clone(), b.clone()],
            relearned: vec![b.clone()],
        };
        credits.credit(3, 300, 9);
        credits.credit(1, 60, 7);
        assert_eq!((a.packets(), a.bytes(), a.used_ms()), (4, 360, 9));
        assert_eq!((b.packets(), b.bytes(), b.used_ms()), (10, 840, 9));
        assert_eq!((t.lookups(), t.matched()), (8, 4));
        assert_eq!(
            (a.refreshed_ms(), b.refreshed_ms()),
            (5, 9),
            "only b re-learned"
        );
    }

    #[test]
    fn fin_timeouts_only_shorten() {
        let r = RuleStats::new(0);
        assert_eq!(r.timeouts(60, 0), (60, 0));
        r.reduce_timeouts(5, 10);
        assert_eq!(r.timeouts(60, 0), (5, 10), "never becomes 10 s");
        assert_eq!(r.timeouts(3, 300), (3, 10), "3 s is already shorter");
        r.reduce_timeouts(8, 0);
        assert_eq!(r.timeouts(60, 0), (5, 10), "a longer cut changes nothing");
    }
}
