//! A rule's counters (packets, bytes, last use), shared by the rule and
//! every translation that hit it, and [`RuleCredits`]: the rules one
//! translation hit, which the datapath credits with each packet the
//! translation's megaflow handles. Counting through the megaflow is what
//! makes cached hits count as OVS counts them (there, revalidators push
//! megaflow statistics to the rules xlate recorded).
//!
//! Counters are atomics so that packet threads credit them without the
//! tables' lock.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use datapath::StatsSink;

/// One rule's counters.
#[derive(Debug, Default)]
pub struct RuleStats {
    packets: AtomicU64,
    bytes: AtomicU64,
    /// When a packet last hit the rule, or when it was added (ms).
    used_ms: AtomicU64,
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

    /// Counts `packets` packets of `bytes` bytes in all, at `now_ms`.
    pub fn credit(&self, packets: u64, bytes: u64, now_ms: u64) {
        self.packets.fetch_add(packets, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
        self.used_ms.fetch_max(now_ms, Relaxed);
    }
}

/// The counters of every rule one translation hit, once per hit (a rule
/// resubmitted to twice counts twice per packet).
#[derive(Debug, Default)]
pub struct RuleCredits(pub Vec<Arc<RuleStats>>);

impl StatsSink for RuleCredits {
    fn credit(&self, packets: u64, bytes: u64, now_ms: u64) {
        for rule in &self.0 {
            rule.credit(packets, bytes, now_ms);
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
        let credits = RuleCredits(vec![a.clone(), b.clone(), b.clone()]);
        credits.credit(3, 300, 9);
        credits.credit(1, 60, 7);
        assert_eq!((a.packets(), a.bytes(), a.used_ms()), (4, 360, 9));
        assert_eq!((b.packets(), b.bytes(), b.used_ms()), (10, 840, 9));
    }
}
