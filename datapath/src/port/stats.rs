//! Port counters, as `ovs-ofctl dump-ports` shows them, and the state
//! every port keeps (up or down, and those counters).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::RxFrame;

/// A snapshot of a port's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub rx_dropped: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub tx_dropped: u64,
    /// How long the counters have been counting: the port's age.
    pub duration: Duration,
}

/// The live counters a port updates.
#[derive(Debug)]
pub struct PortCounters {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    rx_dropped: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    tx_dropped: AtomicU64,
    created: Instant,
}

impl Default for PortCounters {
    /// Zeroed counters of a port made now.
    fn default() -> Self {
        PortCounters {
            rx_packets: AtomicU64::default(),
            rx_bytes: AtomicU64::default(),
            rx_dropped: AtomicU64::default(),
            tx_packets: AtomicU64::default(),
            tx_bytes: AtomicU64::default(),
            tx_dropped: AtomicU64::default(),
            created: Instant::now(),
        }
    }
}

/// What every port keeps: whether it is administratively up (ports start
/// up), and its counters.
#[derive(Debug)]
pub struct PortState {
    up: AtomicBool,
    pub counters: PortCounters,
}

impl Default for PortState {
    fn default() -> Self {
        PortState {
            up: AtomicBool::new(true),
            counters: PortCounters::default(),
        }
    }
}

impl PortState {
    pub fn is_up(&self) -> bool {
        self.up.load(Relaxed)
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Relaxed);
    }
}

impl PortCounters {
    pub fn received(&self, bytes: usize) {
        self.rx_packets.fetch_add(1, Relaxed);
        self.rx_bytes.fetch_add(bytes as u64, Relaxed);
    }

    pub fn rx_dropped(&self) {
        self.rx_dropped.fetch_add(1, Relaxed);
    }

    pub fn transmitted(&self, bytes: usize) {
        self.tx_packets.fetch_add(1, Relaxed);
        self.tx_bytes.fetch_add(bytes as u64, Relaxed);
    }

    pub fn tx_dropped(&self) {
        self.tx_dropped.fetch_add(1, Relaxed);
    }

    /// Appends a received `frame` to `batch`, counted; `None` (what came
    /// could not be made a frame) counts a receive drop. Whether a frame
    /// was taken.
    pub fn take(&self, frame: Option<RxFrame>, batch: &mut Vec<RxFrame>) -> bool {
        match frame {
            Some(frame) => {
                self.received(frame.data.len());
                batch.push(frame);
                true
            }
            None => {
                self.rx_dropped();
                false
            }
        }
    }

    /// Counts a transmission of `bytes` by its outcome.
    pub fn sent<E>(&self, outcome: Result<(), E>, bytes: usize) {
        match outcome {
            Ok(()) => self.transmitted(bytes),
            Err(_) => self.tx_dropped(),
        }
    }

    pub fn snapshot(&self) -> PortStats {
        PortStats {
            rx_packets: self.rx_packets.load(Relaxed),
            rx_bytes: self.rx_bytes.load(Relaxed),
            rx_dropped: self.rx_dropped.load(Relaxed),
            tx_packets: self.tx_packets.load(Relaxed),
            tx_bytes: self.tx_bytes.load(Relaxed),
            tx_dropped: self.tx_dropped.load(Relaxed),
            duration: self.created.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_frames_and_outcomes_are_counted() {
        let c = PortCounters::default();
        let mut batch = Vec::new();
        assert!(c.take(Some(vec![1; 60].into()), &mut batch));
        assert!(!c.take(None, &mut batch));
        c.sent::<()>(Ok(()), 70);
        c.sent(Err(()), 80);
        let s = c.snapshot();
        assert_eq!(batch, [RxFrame::from(vec![1; 60])]);
        assert_eq!((s.rx_packets, s.rx_bytes, s.rx_dropped), (1, 60, 1));
        assert_eq!((s.tx_packets, s.tx_bytes, s.tx_dropped), (1, 70, 1));
    }

    #[test]
    fn counters_add_up_and_age() {
        let c = PortCounters::default();
        c.received(60);
        c.received(40);
        c.transmitted(100);
        c.tx_dropped();
        let s = c.snapshot();
        assert_eq!((s.rx_packets, s.rx_bytes), (2, 100));
        assert_eq!((s.tx_packets, s.tx_bytes, s.tx_dropped), (1, 100, 1));
        assert!(c.snapshot().duration >= s.duration);
    }
}
