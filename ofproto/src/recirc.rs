//! Recirculation ids and the frozen continuations they name.
//!
//! When translation emits `recirc(ID)` (after `ct(table=N)`, or with the
//! rest of the actions frozen: after a `pop_mpls`, or for a select group's
//! second pass after `hash`) or hands a
//! packet to the controller, it freezes what the pipeline needs to go on:
//! the table to resume at and the metadata the datapath does not carry
//! (registers, `metadata`, the translated in_port, the action set, whether
//! the packet has been through conntrack). A miss with `recirc_id=ID`
//! thaws it; a packet-in reads its table and registers from it.
//!
//! Ids: one per distinct continuation (an identical continuation gets the
//! same id back), never reused, so that a megaflow left behind keyed on an
//! old id can never catch packets of a new continuation. Lifetime: every
//! change of the OpenFlow tables flushes all megaflows (and so every
//! reference to an id) and starts a new epoch; an id that no translation
//! produced or resumed in the current epoch is freed by [`RecircTable::collect`]
//! once the epoch is older than a grace period (packets still in flight
//! when the tables changed may resume meanwhile). Megaflows that expire
//! idle keep their ids until the next table change: the datapath does not
//! say which ids its megaflows reference.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::BytesMut;
use openflow_codec::action::{encode_actions, Action};

/// What a recirculation id resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    /// The table to resume at (for a controller action: the table it ran in).
    pub table_id: u8,
    /// The in_port as translation saw it (`resubmit(P,T)` may change it).
    pub in_port: u32,
    pub metadata: u64,
    /// reg0..reg15.
    pub regs: [u32; 16],
    /// The OpenFlow 1.3 action set written so far.
    pub action_set: Vec<Action>,
    /// The packet has been through conntrack: its ct fields are real.
    pub conntracked: bool,
    /// A `pop_mpls` had exposed a header the flow did not know. Not
    /// restored (the next pass parses the packet), but part of what the
    /// id names, as in OVS: the recirculation that exposes the header and
    /// the one a select group asks for next may otherwise look alike.
    pub was_mpls: bool,
    /// What is left to run, frozen in the middle of the actions (OVS's
    /// frozen actions); `None` resumes with a lookup in `table_id`.
    pub rest: Option<Continuation>,
}

/// The actions left when translation froze, in the order they run: those
/// of the rule (or bucket, clone, action set) that froze, then those of
/// every rule that resubmitted to it, each rule's remaining instructions
/// as actions (`goto_table` as a resubmit, `write_metadata` as a load).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Continuation {
    pub steps: Vec<Step>,
}

/// One step of a [`Continuation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The table and rule cookie the following actions ran under (for
    /// their packet-ins and `resubmit(,)`), as OVS's `unroll_xlate`.
    Restore {
        table_id: u8,
        rule_cookie: u64,
    },
    Action(Action),
}

impl Hash for Frozen {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.table_id.hash(state);
        self.in_port.hash(state);
        self.metadata.hash(state);
        self.regs.hash(state);
        self.conntracked.hash(state);
        self.was_mpls.hash(state);
        // Actions have no Hash; their wire form identifies them.
        let mut wire = BytesMut::new();
        encode_actions(&self.action_set, &mut wire);
        wire.hash(state);
        if let Some(rest) = &self.rest {
            for step in &rest.steps {
                match step {
                    Step::Restore {
                        table_id,
                        rule_cookie,
                    } => (table_id, rule_cookie).hash(state),
                    Step::Action(action) => {
                        let mut wire = BytesMut::new();
                        encode_actions(std::slice::from_ref(action), &mut wire);
                        wire.hash(state);
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
struct Entry {
    state: Arc<Frozen>,
    /// The last epoch in which a translation used the id.
    epoch: u64,
}

#[derive(Debug, Default)]
struct Inner {
    by_state: HashMap<Arc<Frozen>, u32>,
    by_id: HashMap<u32, Entry>,
    last_id: u32,
    epoch: u64,
    /// When the current epoch started (milliseconds).
    epoch_start_ms: u64,
}

/// A bridge's recirculation ids.
#[derive(Debug, Default)]
pub struct RecircTable {
    inner: Mutex<Inner>,
}

impl RecircTable {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The id of `state`, allocated if it has none.
    pub fn id_for(&self, state: Frozen) -> u32 {
        let mut inner = self.lock();
        let epoch = inner.epoch;
        if let Some(&id) = inner.by_state.get(&state) {
            if let Some(entry) = inner.by_id.get_mut(&id) {
                entry.epoch = epoch;
            }
            return id;
        }
        // 0 means "not recirculated"; ids only grow (see the module doc).
        inner.last_id = inner.last_id.wrapping_add(1).max(1);
        let id = inner.last_id;
        let state = Arc::new(state);
        inner.by_state.insert(Arc::clone(&state), id);
        inner.by_id.insert(id, Entry { state, epoch });
        id
    }

    /// The continuation `id` names, if it is live; using it keeps it live.
    pub fn thaw(&self, id: u32) -> Option<Arc<Frozen>> {
        let mut inner = self.lock();
        let epoch = inner.epoch;
        let entry = inner.by_id.get_mut(&id)?;
        entry.epoch = epoch;
        Some(Arc::clone(&entry.state))
    }

    /// The OpenFlow tables changed at `now_ms` and the datapath flushed
    /// its megaflows: a new epoch starts.
    pub fn flows_changed(&self, now_ms: u64) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.epoch_start_ms = now_ms;
    }

    /// Frees the ids unused in the current epoch, once it is `grace_ms`
    /// old; returns how many.
    pub fn collect(&self, now_ms: u64, grace_ms: u64) -> usize {
        let mut inner = self.lock();
        if now_ms.saturating_sub(inner.epoch_start_ms) < grace_ms {
            return 0;
        }
        let epoch = inner.epoch;
        let stale: Vec<u32> = inner
            .by_id
            .iter()
            .filter(|(_, e)| e.epoch < epoch)
            .map(|(id, _)| *id)
            .collect();
        for id in &stale {
            if let Some(entry) = inner.by_id.remove(id) {
                inner.by_state.remove(&entry.state);
            }
        }
        stale.len()
    }

    /// How many ids are live.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(table_id: u8, reg0: u32) -> Frozen {
        let mut regs = [0; 16];
        regs[0] = reg0;
        Frozen {
            table_id,
            in_port: 1,
            metadata: 0,
            regs,
            action_set: Vec::new(),
            conntracked: true,
            was_mpls: false,
            rest: None,
        }
    }

    #[test]
    fn identical_continuations_share_an_id() {
        let t = RecircTable::default();
        let a = t.id_for(state(1, 0));
        assert_eq!(t.id_for(state(1, 0)), a);
        let b = t.id_for(state(1, 7));
        assert_ne!(a, b);
        assert_ne!(a, 0);
        assert_eq!(t.thaw(b).map(|s| s.regs[0]), Some(7));
    }

    #[test]
    fn ids_unused_after_a_table_change_are_freed_after_the_grace() {
        let t = RecircTable::default();
        let kept = t.id_for(state(1, 0));
        let dropped = t.id_for(state(2, 0));
        t.flows_changed(1000);
        assert_eq!(t.collect(1500, 1000), 0, "within the grace period");
        t.id_for(state(1, 0));
        assert_eq!(t.collect(2000, 1000), 1);
        assert!(t.thaw(kept).is_some());
        assert!(t.thaw(dropped).is_none());
        // A freed continuation comes back under a new id, never the old one.
        assert!(t.id_for(state(2, 0)) > dropped);
    }
}
