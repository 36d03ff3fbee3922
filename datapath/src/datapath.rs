//! The datapath proper: ports, the flow cache and the slow path tied
//! together, as "The packet's way" (DESIGN.md) describes. A packet's flow
//! is looked up in the thread's exact-match cache, then the megaflow
//! table, then (a miss) translated by the [`Upcall`], whose answer is
//! installed; packets that hit the same megaflow run its actions as one
//! batch; recirculated packets go round again at once (before the actions
//! after their `recirc`), up to OVS's depth limit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use conntrack::Conntrack;
use nxm_fields::flow::slot_ones;
use nxm_fields::layout as l;
use nxm_fields::Flow;

use crate::action::Actions;
use crate::cache::{ExactCache, Megaflow, MegaflowTable};
use crate::execute::{execute_recirculating, Context, Transmit};
use crate::packet::Packet;
use crate::port::Port;
use crate::upcall::{StatsSink, Upcall};

/// How many times a packet may recirculate (OVS's `MAX_RECIRC_DEPTH`);
/// a packet that would go round once more is dropped.
pub const MAX_RECIRC_DEPTH: usize = 6;

/// Why a port could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortError {
    /// The port number is taken.
    Exists(u32),
}

impl core::fmt::Display for PortError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PortError::Exists(no) => write!(f, "port {no} already exists"),
        }
    }
}

impl std::error::Error for PortError {}

/// Lookup counters, as `ovs-appctl dpif/show` reports hits and misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DatapathStats {
    /// Hits in a thread's exact-match cache.
    pub emc_hits: u64,
    /// Hits in the megaflow table.
    pub megaflow_hits: u64,
    /// Misses sent to the slow path.
    pub missed: u64,
    /// Packets dropped because the slow path failed or recirculation ran
    /// too deep.
    pub lost: u64,
}

#[derive(Debug, Default)]
struct Counters {
    emc_hits: AtomicU64,
    megaflow_hits: AtomicU64,
    missed: AtomicU64,
    lost: AtomicU64,
}

/// One datapath: its ports, megaflows and connection tracker.
pub struct Datapath {
    ports: RwLock<BTreeMap<u32, Arc<dyn Port>>>,
    megaflows: MegaflowTable,
    conntrack: Arc<Conntrack>,
    upcall: Arc<dyn Upcall>,
    counters: Counters,
}

impl core::fmt::Debug for Datapath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Datapath")
            .field("ports", &self.port_numbers())
            .field("megaflows", &self.megaflows.len())
            .finish()
    }
}

/// Where a group of packets' actions come from.
enum Target {
    /// An installed megaflow (its stats count the packets).
    Megaflow(Arc<Megaflow>),
    /// An upcall's answer whose megaflow could not be installed (the
    /// tables changed meanwhile): good for this packet only, counted in
    /// the reply's sink alone.
    Once {
        actions: Actions,
        sink: Option<Arc<dyn StatsSink>>,
    },
}

impl Target {
    fn actions(&self) -> &Actions {
        match self {
            Target::Megaflow(m) => m.actions(),
            Target::Once { actions, .. } => actions,
        }
    }

    /// Credits a batch of packets to whatever counts them.
    fn record(&self, batch: &[Packet], now_ms: u64) {
        let packets = batch.len() as u64;
        let bytes = batch.iter().map(|p| p.data.len() as u64).sum();
        match self {
            Target::Megaflow(m) => m.record(packets, bytes, now_ms),
            Target::Once { sink, .. } => {
                if let Some(sink) = sink {
                    sink.credit(packets, bytes, now_ms);
                }
            }
        }
    }
}

impl Datapath {
    pub fn new(conntrack: Arc<Conntrack>, upcall: Arc<dyn Upcall>) -> Self {
        Datapath {
            ports: RwLock::new(BTreeMap::new()),
            megaflows: MegaflowTable::default(),
            conntrack,
            upcall,
            counters: Counters::default(),
        }
    }

    pub fn conntrack(&self) -> &Arc<Conntrack> {
        &self.conntrack
    }

    pub fn add_port(&self, number: u32, port: Arc<dyn Port>) -> Result<(), PortError> {
        let mut ports = self.ports.write().unwrap_or_else(|e| e.into_inner());
        if ports.contains_key(&number) {
            return Err(PortError::Exists(number));
        }
        ports.insert(number, port);
        Ok(())
    }

    pub fn remove_port(&self, number: u32) -> Option<Arc<dyn Port>> {
        let mut ports = self.ports.write().unwrap_or_else(|e| e.into_inner());
        ports.remove(&number)
    }

    pub fn port(&self, number: u32) -> Option<Arc<dyn Port>> {
        let ports = self.ports.read().unwrap_or_else(|e| e.into_inner());
        ports.get(&number).cloned()
    }

    /// Every port, by number.
    pub fn ports(&self) -> Vec<(u32, Arc<dyn Port>)> {
        let ports = self.ports.read().unwrap_or_else(|e| e.into_inner());
        ports.iter().map(|(n, p)| (*n, Arc::clone(p))).collect()
    }

    pub fn port_numbers(&self) -> Vec<u32> {
        self.ports().into_iter().map(|(n, _)| n).collect()
    }

    pub fn megaflows(&self) -> &MegaflowTable {
        &self.megaflows
    }

    /// The OpenFlow tables changed: every cached decision is void. (The
    /// first revalidation strategy: flush, and let misses rebuild.)
    pub fn flows_changed(&self) {
        self.megaflows.flush();
    }

    /// The megaflows, as `ovs-appctl dpctl/dump-flows` prints them.
    pub fn dump_flows(&self, now_ms: u64) -> Vec<String> {
        self.megaflows.dump(now_ms)
    }

    /// Removes megaflows idle for more than `max_idle_ms`.
    pub fn expire(&self, now_ms: u64, max_idle_ms: u64) -> usize {
        self.megaflows.expire(now_ms, max_idle_ms)
    }

    pub fn stats(&self) -> DatapathStats {
        let c = &self.counters;
        DatapathStats {
            emc_hits: c.emc_hits.load(Relaxed),
            megaflow_hits: c.megaflow_hits.load(Relaxed),
            missed: c.missed.load(Relaxed),
            lost: c.lost.load(Relaxed),
        }
    }

    /// Runs received packets through the datapath at `now_ms`, with the
    /// calling thread's exact-match cache.
    pub fn process(&self, emc: &mut ExactCache, packets: Vec<Packet>, now_ms: u64) {
        let ctx = self.context(now_ms);
        self.process_at(&ctx, emc, packets, 0);
    }

    /// Runs `actions` over packets that come from the slow path (a
    /// packet-out), their recirculations through the datapath.
    pub fn execute(
        &self,
        emc: &mut ExactCache,
        packets: Vec<Packet>,
        actions: &Actions,
        now_ms: u64,
    ) {
        let ctx = self.context(now_ms);
        execute_recirculating(&ctx, packets, actions, &mut |again| {
            self.process_at(&ctx, emc, again, 1)
        });
    }

    fn context(&self, now_ms: u64) -> Context<'_> {
        Context {
            conntrack: &self.conntrack,
            ports: self,
            upcall: self.upcall.as_ref(),
            now_ms,
        }
    }

    /// Looks packets up and runs their actions, `depth` recirculations
    /// deep. A recirculated packet goes round again at once, before the
    /// actions after its `recirc` run, as in OVS's userspace datapath;
    /// one that would go deeper than OVS allows is dropped.
    fn process_at(
        &self,
        ctx: &Context<'_>,
        emc: &mut ExactCache,
        packets: Vec<Packet>,
        depth: usize,
    ) {
        if depth > MAX_RECIRC_DEPTH {
            self.counters.lost.fetch_add(packets.len() as u64, Relaxed);
            return;
        }
        for (target, batch) in self.classify(emc, packets, ctx.now_ms) {
            target.record(&batch, ctx.now_ms);
            execute_recirculating(ctx, batch, target.actions(), &mut |again| {
                self.process_at(ctx, emc, again, depth + 1)
            });
        }
    }

    /// Groups packets by the megaflow they hit (in order of first hit),
    /// upcalling and installing on misses.
    fn classify(
        &self,
        emc: &mut ExactCache,
        packets: Vec<Packet>,
        now_ms: u64,
    ) -> Vec<(Target, Vec<Packet>)> {
        let mut groups: Vec<(Target, Vec<Packet>)> = Vec::new();
        for packet in packets {
            let flow = packet.flow();
            let Some(target) = self.lookup(emc, &flow, now_ms) else {
                self.counters.lost.fetch_add(1, Relaxed);
                continue;
            };
            let same = groups.iter_mut().find(|(t, _)| match (t, &target) {
                (Target::Megaflow(a), Target::Megaflow(b)) => Arc::ptr_eq(a, b),
                _ => false,
            });
            match same {
                Some((_, batch)) => batch.push(packet),
                None => groups.push((target, vec![packet])),
            }
        }
        groups
    }

    /// The flow by reference: it is a few hundred bytes, and only a miss
    /// of the exact-match cache needs a copy of it.
    fn lookup(&self, emc: &mut ExactCache, flow: &Flow, now_ms: u64) -> Option<Target> {
        if let Some(m) = emc.lookup(flow) {
            self.counters.emc_hits.fetch_add(1, Relaxed);
            return Some(Target::Megaflow(m));
        }
        if let Some(m) = self.megaflows.lookup(flow) {
            self.counters.megaflow_hits.fetch_add(1, Relaxed);
            emc.insert(flow.clone(), Arc::clone(&m));
            return Some(Target::Megaflow(m));
        }
        self.counters.missed.fetch_add(1, Relaxed);
        // Read before translating: if the tables change while the upcall
        // runs, its answer may be stale and must not be installed.
        let generation = self.megaflows.generation();
        let mut reply = self.upcall.miss(flow).ok()?;
        // A megaflow always matches recirc_id and in_port exactly, as in
        // OVS: a first-pass entry must never catch a recirculated packet.
        reply.mask.set(l::RECIRC_ID, slot_ones(l::RECIRC_ID));
        reply.mask.set(l::IN_PORT, slot_ones(l::IN_PORT));
        let installed = if self.upcall.caches(flow) {
            self.megaflows.install(
                flow,
                &reply.mask,
                reply.actions.clone(),
                reply.sink.clone(),
                generation,
                now_ms,
            )
        } else {
            None
        };
        match installed {
            Some(m) => {
                emc.insert(flow.clone(), Arc::clone(&m));
                Some(Target::Megaflow(m))
            }
            None => Some(Target::Once {
                actions: reply.actions,
                sink: reply.sink,
            }),
        }
    }
}

impl Transmit for Datapath {
    /// Under the ports' read lock rather than with a clone of the port's
    /// `Arc`: two atomic updates of a shared count fewer per packet.
    fn transmit(&self, port: u32, packet: &Packet) {
        let ports = self.ports.read().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = ports.get(&port) {
            p.transmit(&packet.data);
        }
    }
}
