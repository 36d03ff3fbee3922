//! A timer wheel of connection handles, swept lazily.
//!
//! A connection is filed under the tick of its expiration. Refreshing a
//! connection's timer only rewrites its expiration; the wheel catches up
//! when it reaches the old tick and re-files the entry under the new one.
//! Deleting a connection leaves a stale handle behind, recognised and
//! dropped when its slot comes up. Packets thus never touch the wheel,
//! and a sweep costs time proportional to the entries it visits.

/// Milliseconds per tick, as a shift: ticks of 1.024 s.
const TICK_SHIFT: u32 = 10;
/// Slots in the wheel; a timer further out than this many ticks goes
/// round again.
pub(crate) const SLOTS: u64 = 256;

pub(crate) fn tick_of(ms: u64) -> u64 {
    ms >> TICK_SHIFT
}

#[derive(Debug)]
pub(crate) struct Wheel {
    slots: Vec<Vec<u32>>,
    /// The first tick not yet swept.
    next_tick: u64,
}

impl Default for Wheel {
    fn default() -> Self {
        Wheel {
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            next_tick: 0,
        }
    }
}

impl Wheel {
    /// Files `handle` to expire at `expiration`; returns the tick it went
    /// under (never one already swept).
    pub fn schedule(&mut self, handle: u32, expiration: u64) -> u64 {
        let tick = tick_of(expiration).max(self.next_tick);
        if let Some(slot) = self.slots.get_mut((tick % SLOTS) as usize) {
            slot.push(handle);
        }
        tick
    }

    /// Takes the handles of the next tick that has fully passed at `now`,
    /// with that tick; `None` when the wheel is caught up.
    pub fn take_due(&mut self, now: u64) -> Option<(u64, Vec<u32>)> {
        let current = tick_of(now);
        // After a long pause, one round of the wheel visits every slot.
        self.next_tick = self.next_tick.max(current.saturating_sub(SLOTS));
        if self.next_tick >= current {
            return None;
        }
        let tick = self.next_tick;
        self.next_tick += 1;
        let slot = self.slots.get_mut((tick % SLOTS) as usize)?;
        Some((tick, std::mem::take(slot)))
    }

    /// Files `handle` under `tick` as it is (a later turn of the wheel).
    pub fn file(&mut self, handle: u32, tick: u64) {
        if let Some(slot) = self.slots.get_mut((tick % SLOTS) as usize) {
            slot.push(handle);
        }
    }

    /// Whether ticks before `current` are still to be swept.
    pub fn pending(&self, current: u64) -> bool {
        self.next_tick < current
    }

    /// Gives back the handles of `tick` a sweep did not get to, so that the
    /// next sweep starts with them.
    pub fn put_back(&mut self, tick: u64, handles: Vec<u32>) {
        if let Some(slot) = self.slots.get_mut((tick % SLOTS) as usize) {
            slot.extend(handles);
        }
        self.next_tick = self.next_tick.min(tick);
    }

    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(Vec::clear);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_come_due_after_their_tick_has_passed() {
        let mut w = Wheel::default();
        assert_eq!(w.schedule(7, 3000), 2);
        assert!(w.take_due(2047).map(|(_, h)| h.is_empty()).unwrap_or(true));
        let mut seen = Vec::new();
        while let Some((_, h)) = w.take_due(4000) {
            seen.extend(h);
        }
        assert_eq!(seen, vec![7]);
    }

    #[test]
    fn far_timers_share_a_slot_and_long_pauses_visit_every_slot() {
        let mut w = Wheel::default();
        w.schedule(1, (SLOTS + 3) << TICK_SHIFT);
        let mut rounds = 0;
        while w.take_due((100 * SLOTS) << TICK_SHIFT).is_some() {
            rounds += 1;
        }
        assert_eq!(rounds, SLOTS);
    }

    #[test]
    fn put_back_rewinds_to_the_unfinished_tick() {
        let mut w = Wheel::default();
        w.schedule(1, 0);
        let (tick, h) = w.take_due(5000).unwrap();
        w.put_back(tick, h);
        assert_eq!(w.take_due(5000).unwrap(), (0, vec![1]));
    }
}
