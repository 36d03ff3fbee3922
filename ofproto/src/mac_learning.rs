//! The MAC learning table behind the `NORMAL` action: which port an
//! Ethernet address was last seen on, per VLAN, aged out as OVS does
//! (300 s by default) and bounded (OVS's default of 2048 entries).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// OVS's default `mac-aging-time`.
pub const DEFAULT_AGING_MS: u64 = 300_000;
/// OVS's default `mac-table-size`.
pub const DEFAULT_MAX_ENTRIES: usize = 2048;

#[derive(Debug, Clone, Copy)]
struct Learned {
    port: u32,
    used_ms: u64,
}

/// Addresses by (VLAN id, MAC as a 48-bit integer).
#[derive(Debug, Default)]
pub struct MacLearning {
    entries: Mutex<HashMap<(u16, u64), Learned>>,
}

/// Whether an Ethernet address is multicast (or broadcast).
pub fn is_multicast(mac: u64) -> bool {
    (mac >> 40) & 1 == 1
}

impl MacLearning {
    fn lock(&self) -> MutexGuard<'_, HashMap<(u16, u64), Learned>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `mac` was seen on `port`; returns whether that changed
    /// where it lives (so cached forwarding decisions may be stale).
    /// Multicast sources are not learned; a full table learns nothing new.
    pub fn learn(&self, vlan: u16, mac: u64, port: u32, now_ms: u64) -> bool {
        if is_multicast(mac) {
            return false;
        }
        let mut entries = self.lock();
        let full = entries.len() >= DEFAULT_MAX_ENTRIES;
        match entries.get_mut(&(vlan, mac)) {
            Some(e) if e.port == port => {
                e.used_ms = now_ms;
                false
            }
            Some(e) => {
                *e = Learned {
                    port,
                    used_ms: now_ms,
                };
                true
            }
            None if full => false,
            None => {
                entries.insert(
                    (vlan, mac),
                    Learned {
                        port,
                        used_ms: now_ms,
                    },
                );
                true
            }
        }
    }

    /// The port `mac` was learned on.
    pub fn lookup(&self, vlan: u16, mac: u64) -> Option<u32> {
        self.lock().get(&(vlan, mac)).map(|e| e.port)
    }

    /// Every entry as `(port, vlan, mac, seconds since last seen)`, least
    /// recently seen first (the order of OVS's `fdb/show`).
    pub fn entries(&self, now_ms: u64) -> Vec<(u32, u16, u64, u64)> {
        let mut all: Vec<_> = self
            .lock()
            .iter()
            .map(|(&(vlan, mac), e)| (e.used_ms, vlan, mac, e.port))
            .collect();
        all.sort_unstable();
        all.into_iter()
            .map(|(used, vlan, mac, port)| (port, vlan, mac, now_ms.saturating_sub(used) / 1000))
            .collect()
    }

    /// Forgets every entry (`fdb/flush`).
    pub fn flush(&self) {
        self.lock().clear();
    }

    /// Forgets entries unused for `DEFAULT_AGING_MS`; returns how many.
    pub fn expire(&self, now_ms: u64) -> usize {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|_, e| now_ms.saturating_sub(e.used_ms) < DEFAULT_AGING_MS);
        before - entries.len()
    }
}

impl crate::bridge::Bridge {
    /// The bridge's MAC learning table (what `NORMAL` learned).
    pub fn mac_table(&self) -> &MacLearning {
        &self.macs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_moves_and_ages() {
        let t = MacLearning::default();
        assert!(t.learn(0, 0x5054_0000_0001, 1, 0));
        assert!(!t.learn(0, 0x5054_0000_0001, 1, 10));
        assert_eq!(t.lookup(0, 0x5054_0000_0001), Some(1));
        assert_eq!(t.lookup(5, 0x5054_0000_0001), None, "per VLAN");
        assert!(t.learn(0, 0x5054_0000_0001, 2, 20), "a move is a change");
        assert!(
            !t.learn(0, 0xffff_ffff_ffff, 1, 20),
            "broadcast is not learned"
        );
        assert_eq!(t.entries(3020), vec![(2, 0, 0x5054_0000_0001, 3)]);
        assert_eq!(t.expire(20 + DEFAULT_AGING_MS), 1);
        assert_eq!(t.lookup(0, 0x5054_0000_0001), None);
    }
}
