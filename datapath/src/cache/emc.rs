//! The exact-match cache: one per packet thread, flow key → megaflow,
//! so that a packet of a flow seen before costs one hash lookup instead
//! of a tuple space search.
//!
//! It holds megaflows by reference and trusts them only while they are
//! alive in the shared table: a flush or expiry marks them dead, and the
//! next lookup here drops them. Nothing here can forward by a removed
//! megaflow.

use std::sync::Arc;

use nxm_fields::Flow;

use super::megaflow::{FlowMap, Megaflow};

/// OVS's EMC holds 8192 entries per thread.
pub const DEFAULT_CAPACITY: usize = 8192;

#[derive(Debug)]
pub struct ExactCache {
    entries: FlowMap,
    capacity: usize,
}

impl Default for ExactCache {
    fn default() -> Self {
        ExactCache::with_capacity(DEFAULT_CAPACITY)
    }
}

impl ExactCache {
    pub fn with_capacity(capacity: usize) -> Self {
        ExactCache {
            entries: FlowMap::default(),
            capacity,
        }
    }

    /// The live megaflow cached for exactly `flow`.
    pub fn lookup(&mut self, flow: &Flow) -> Option<Arc<Megaflow>> {
        let entry = self.entries.get(flow)?;
        if entry.is_dead() {
            self.entries.remove(flow);
            return None;
        }
        Some(Arc::clone(entry))
    }

    /// Remembers that `flow` hits `megaflow`. When full, the cache starts
    /// over: cheaper than an eviction policy, and the working set refills
    /// it from the megaflow table within a few packets.
    pub fn insert(&mut self, flow: Flow, megaflow: Arc<Megaflow>) {
        if self.entries.len() >= self.capacity {
            self.entries.clear();
        }
        self.entries.insert(flow, megaflow);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Actions;
    use crate::cache::MegaflowTable;
    use nxm_fields::layout as l;

    #[test]
    fn dead_megaflows_are_never_returned() {
        let table = MegaflowTable::default();
        let mut f = Flow::zero();
        f.set(l::IN_PORT, 1);
        let gen = table.generation();
        let mf = table
            .install(&f, &Flow::all_ones(), Actions::default(), None, gen, 0)
            .unwrap();
        let mut emc = ExactCache::default();
        emc.insert(f.clone(), mf);
        assert!(emc.lookup(&f).is_some());
        table.flush();
        assert!(emc.lookup(&f).is_none());
        assert!(emc.is_empty());
    }

    #[test]
    fn a_full_cache_starts_over() {
        let table = MegaflowTable::default();
        let gen = table.generation();
        let mut emc = ExactCache::with_capacity(2);
        for port in 0..3u32 {
            let mut f = Flow::zero();
            f.set(l::IN_PORT, port.into());
            let mf = table
                .install(&f, &Flow::all_ones(), Actions::default(), None, gen, 0)
                .unwrap();
            emc.insert(f, mf);
        }
        assert_eq!(emc.len(), 1);
    }
}
