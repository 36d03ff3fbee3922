//! The megaflow table: masked entries shared by every packet thread,
//! found by tuple space search (one hash table per distinct mask, the
//! packet's flow masked and looked up in each).
//!
//! Unlike the OpenFlow classifier there are no priorities: translation
//! makes megaflows that do not overlap, so the first hit is the answer.
//! Readers take a read lock; installs, flushes and expiry take the write
//! lock, which is short and rare next to lookups.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use nxm_fields::Flow;

use super::odp_key::format_key;
use crate::action::Actions;
use crate::upcall::StatsSink;

/// Flow keys to megaflows, in the exact-match cache and in each subtable.
/// The keys come from packets, so the hasher is foldhash seeded at random
/// per process and per map (colliding keys cannot be built from outside);
/// it hashes a whole flow key several times faster than std's SipHash,
/// which was 3-5% of a packet thread's time.
pub(super) type FlowMap = HashMap<Flow, Arc<Megaflow>, foldhash::fast::RandomState>;

/// One megaflow: what it matches, what it does, and its statistics.
#[derive(Debug)]
pub struct Megaflow {
    /// The flow of the packet that installed it (printed in dumps, as OVS
    /// prints it), and the mask of the bits that matter.
    key: Flow,
    mask: Flow,
    actions: Actions,
    /// The slow path's counters that share this entry's hits.
    sink: Option<Arc<dyn StatsSink>>,
    packets: AtomicU64,
    bytes: AtomicU64,
    /// When it was installed and last hit, in the datapath's milliseconds
    /// (`used` is 0 until a hit).
    created_ms: u64,
    used_ms: AtomicU64,
    /// Set when the entry leaves the table, so that exact-match caches
    /// holding it stop using it.
    dead: AtomicBool,
}

impl Megaflow {
    pub fn actions(&self) -> &Actions {
        &self.actions
    }

    pub fn mask(&self) -> &Flow {
        &self.mask
    }

    pub fn packets(&self) -> u64 {
        self.packets.load(Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Relaxed)
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Relaxed)
    }

    /// Counts `packets` packets of `bytes` bytes that hit at `now_ms`,
    /// here and in the slow path's sink.
    pub fn record(&self, packets: u64, bytes: u64, now_ms: u64) {
        self.packets.fetch_add(packets, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
        self.used_ms.fetch_max(now_ms.max(1), Relaxed);
        if let Some(sink) = &self.sink {
            sink.credit(packets, bytes, now_ms);
        }
    }

    /// When it was last used, or installed if never.
    fn last_active(&self) -> u64 {
        self.used_ms.load(Relaxed).max(self.created_ms)
    }

    /// One line of `dpctl/dump-flows`.
    pub fn format(&self, now_ms: u64) -> String {
        let used = match self.used_ms.load(Relaxed) {
            0 => "never".to_string(),
            t => format!("{:.3}s", now_ms.saturating_sub(t) as f64 / 1000.0),
        };
        format!(
            "{}, packets:{}, bytes:{}, used:{used}, actions:{}",
            format_key(&self.key, &self.mask),
            self.packets(),
            self.bytes(),
            self.actions
        )
    }
}

/// The entries that share one mask.
#[derive(Debug)]
struct Subtable {
    mask: Flow,
    entries: FlowMap,
}

#[derive(Debug, Default)]
struct Tables {
    subtables: Vec<Subtable>,
    /// Bumped by every flush: an upcall that began before a flush must not
    /// install what it translated from the old OpenFlow tables.
    generation: u64,
}

/// The shared megaflow table.
#[derive(Debug, Default)]
pub struct MegaflowTable {
    tables: RwLock<Tables>,
}

fn masked(flow: &Flow, mask: &Flow) -> Flow {
    let mut m = flow.clone();
    m.and_with(mask);
    m
}

impl MegaflowTable {
    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        // A panic while holding the lock leaves whole entries behind (no
        // entry is ever half-written), so a poisoned lock is still usable.
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The megaflow `flow` hits, if any.
    pub fn lookup(&self, flow: &Flow) -> Option<Arc<Megaflow>> {
        let tables = self.read();
        tables
            .subtables
            .iter()
            .find_map(|s| s.entries.get(&masked(flow, &s.mask)).cloned())
    }

    /// The generation an upcall must quote to [`MegaflowTable::install`].
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Installs the megaflow for `flow` under `mask`, unless the table was
    /// flushed since `generation` was read (then `None`: the actions may
    /// be stale and only the packet in hand may use them). If an entry
    /// with the same key and mask exists (another thread's upcall won),
    /// that one is returned. Hits are also credited to `sink`.
    pub fn install(
        &self,
        flow: &Flow,
        mask: &Flow,
        actions: Actions,
        sink: Option<Arc<dyn StatsSink>>,
        generation: u64,
        now_ms: u64,
    ) -> Option<Arc<Megaflow>> {
        let mut tables = self.write();
        if tables.generation != generation {
            return None;
        }
        let key = masked(flow, mask);
        let at = match tables.subtables.iter().position(|s| &s.mask == mask) {
            Some(at) => at,
            None => {
                tables.subtables.push(Subtable {
                    mask: mask.clone(),
                    entries: FlowMap::default(),
                });
                tables.subtables.len() - 1
            }
        };
        let subtable = tables.subtables.get_mut(at)?;
        let entry = subtable.entries.entry(key).or_insert_with(|| {
            Arc::new(Megaflow {
                key: flow.clone(),
                mask: mask.clone(),
                actions,
                sink,
                packets: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                created_ms: now_ms,
                used_ms: AtomicU64::new(0),
                dead: AtomicBool::new(false),
            })
        });
        Some(Arc::clone(entry))
    }

    /// Removes every megaflow (the OpenFlow tables changed) and starts a
    /// new generation.
    pub fn flush(&self) {
        let mut tables = self.write();
        tables.generation += 1;
        for subtable in tables.subtables.drain(..) {
            for entry in subtable.entries.values() {
                entry.dead.store(true, Relaxed);
            }
        }
    }

    /// Removes megaflows idle for longer than `max_idle_ms`; returns how
    /// many.
    pub fn expire(&self, now_ms: u64, max_idle_ms: u64) -> usize {
        let mut tables = self.write();
        let mut removed = 0;
        for subtable in &mut tables.subtables {
            subtable.entries.retain(|_, entry| {
                let keep = now_ms.saturating_sub(entry.last_active()) <= max_idle_ms;
                if !keep {
                    entry.dead.store(true, Relaxed);
                    removed += 1;
                }
                keep
            });
        }
        tables.subtables.retain(|s| !s.entries.is_empty());
        removed
    }

    pub fn len(&self) -> usize {
        self.read().subtables.iter().map(|s| s.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every megaflow, as `dpctl/dump-flows` lines (in no set order).
    pub fn dump(&self, now_ms: u64) -> Vec<String> {
        let tables = self.read();
        tables
            .subtables
            .iter()
            .flat_map(|s| s.entries.values())
            .map(|e| e.format(now_ms))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use nxm_fields::flow::slot_ones;
    use nxm_fields::layout as l;

    fn flow(port: u32, dst: u16) -> Flow {
        let mut f = Flow::zero();
        f.set(l::IN_PORT, port.into());
        f.set(l::ETH_TYPE, 0x0800);
        f.set(l::NW_PROTO, 6);
        f.set(l::TP_DST, dst.into());
        f
    }

    fn port_mask() -> Flow {
        let mut m = Flow::zero();
        for s in [l::RECIRC_ID, l::IN_PORT, l::ETH_TYPE] {
            m.set(s, slot_ones(s));
        }
        m
    }

    #[test]
    fn a_megaflow_covers_every_flow_that_agrees_under_its_mask() {
        let table = MegaflowTable::default();
        let out = Actions::new(vec![Action::Output(2)]);
        let gen = table.generation();
        table
            .install(&flow(1, 80), &port_mask(), out.clone(), None, gen, 5)
            .unwrap();
        assert_eq!(table.lookup(&flow(1, 443)).unwrap().actions(), &out);
        assert!(table.lookup(&flow(2, 80)).is_none());
    }

    #[test]
    fn installs_quoting_an_old_generation_are_refused() {
        let table = MegaflowTable::default();
        let gen = table.generation();
        let hit = table
            .install(&flow(1, 80), &port_mask(), Actions::default(), None, gen, 0)
            .unwrap();
        table.flush();
        assert!(hit.is_dead());
        assert!(table.lookup(&flow(1, 80)).is_none());
        let stale = table.install(&flow(1, 80), &port_mask(), Actions::default(), None, gen, 0);
        assert!(stale.is_none());
        assert!(table.is_empty());
    }

    #[test]
    fn idle_megaflows_expire_and_busy_ones_stay() {
        let table = MegaflowTable::default();
        let gen = table.generation();
        let mut exact = port_mask();
        exact.set(l::TP_DST, 0xffff);
        let idle = table
            .install(&flow(1, 80), &exact, Actions::default(), None, gen, 1_000)
            .unwrap();
        let busy = table
            .install(&flow(1, 22), &exact, Actions::default(), None, gen, 1_000)
            .unwrap();
        busy.record(1, 60, 9_000);
        assert_eq!(table.expire(12_000, 10_000), 1);
        assert!(idle.is_dead() && !busy.is_dead());
        assert!(table.lookup(&flow(1, 22)).is_some());
        assert!(table.lookup(&flow(1, 80)).is_none());
    }

    #[test]
    fn dump_lines_carry_stats_and_actions() {
        let table = MegaflowTable::default();
        let mut mask = port_mask();
        mask.set(l::NW_FRAG, 0xff);
        mask.set(l::CT_STATE, 0x20);
        let acts = Actions::new(vec![Action::Recirc(1)]);
        let gen = table.generation();
        let mf = table
            .install(&flow(1, 80), &mask, acts, None, gen, 0)
            .unwrap();
        assert_eq!(
            table.dump(0),
            vec![
                "ct_state(-trk),recirc_id(0),in_port(1),packet_type(ns=0,id=0),\
                  eth_type(0x0800),ipv4(frag=no), packets:0, bytes:0, used:never, \
                  actions:recirc(0x1)"
                    .to_string()
            ]
        );
        mf.record(3, 180, 1_000);
        assert!(table.dump(1_500)[0]
            .ends_with("packets:3, bytes:180, used:0.500s, actions:recirc(0x1)"));
    }
}
