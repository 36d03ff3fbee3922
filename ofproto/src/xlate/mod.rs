//! Translation (xlate): a packet's flow through a bridge's OpenFlow
//! tables, into the datapath actions for it and the megaflow mask of
//! every bit of the flow the answer depended on.
//!
//! The translation keeps three flows, as OVS's `xlate_ctx` does: `flow`,
//! the packet as the pipeline sees it (registers, metadata and rewritten
//! headers included); `base`, the packet as the datapath has it, behind
//! by the header changes not yet committed ([`commit`]); and `wc`, the
//! mask. Lookups add the bits the classifier consulted; actions add what
//! they read or write. Registers and metadata never reach the datapath:
//! they live in `flow`, and in the frozen continuation ([`crate::recirc`])
//! when the packet recirculates.
//!
//! * [`pipeline`]: tables, instructions, goto_table, resubmit, the action
//!   set, whose order [`action_set`] keeps (for group buckets too);
//!   [`actions`]: every action; [`ct`]: the `ct` action and
//!   recirculation; [`freeze`]: recirculating with the rest of the
//!   actions frozen; [`output`]: ports, reserved ports, `NORMAL`, the
//!   controller; [`group`]: the `group` action, [`select`] and
//!   [`liveness`] its buckets; [`multipath`] and
//!   [`bundle`]: choosing a link or a live port by hash; [`commit`]:
//!   header changes as datapath actions;
//!   [`learn`]: the flow a `learn` action adds; [`fin_timeout`]: a FIN
//!   cutting a rule's timeouts;
//!   [`field`] and [`prereq`]: field access that records the mask.

mod action_set;
mod actions;
mod bundle;
mod commit;
mod ct;
mod field;
mod fin_timeout;
mod freeze;
mod group;
mod learn;
mod liveness;
mod mpls;
mod multipath;
mod output;
mod pipeline;
mod port_order;
mod prereq;
mod select;
pub mod trace;

#[cfg(test)]
mod select_tests;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod vlan_tests;

use std::sync::Arc;

use datapath::{Action as DpAction, Actions};
use nxm_fields::layout as l;
use nxm_fields::Flow;
use openflow_codec::action::Action;

use crate::group::Groups;
use crate::learned::LearnedFlow;
use crate::mac_learning::MacLearning;
use crate::meter::Meters;
use crate::recirc::{Frozen, RecircTable};
use crate::rule_stats::{Credits, RuleStats};
use crate::table::Tables;

pub use ct::nat_action;

/// How deeply resubmits and goto_tables may nest (OVS's `MAX_DEPTH`).
pub const MAX_DEPTH: usize = 64;
/// How many resubmits one translation may make (OVS's `MAX_RESUBMITS`).
pub const MAX_RESUBMITS: usize = MAX_DEPTH * MAX_DEPTH;

/// What translation reads: the bridge's state at the time.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub tables: &'a Tables,
    /// The datapath's port numbers (OpenFlow port numbers).
    pub ports: &'a [u32],
    /// Those of them that are up with a link: live, for a group bucket
    /// that watches one.
    pub live_ports: &'a [u32],
    pub recirc: &'a RecircTable,
    pub macs: &'a MacLearning,
    pub groups: &'a Groups,
    pub meters: &'a Meters,
    pub now_ms: u64,
}

/// What a translation produced.
#[derive(Debug, Clone)]
pub struct Xlated {
    pub actions: Actions,
    pub mask: Flow,
    /// The counters of every table looked up and rule hit, to be credited
    /// with each packet these actions handle.
    pub credits: Credits,
    /// The MAC learning table changed: cached `NORMAL` decisions are stale.
    pub learned: bool,
    /// Flows `learn` actions add (or change), for the bridge to install.
    pub learned_flows: Vec<LearnedFlow>,
}

/// Why a packet could not be translated (it is dropped, nothing cached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlateError {
    /// Resubmits or goto_tables nested or repeated beyond OVS's limits.
    TooDeep,
    /// More resubmits in one translation than OVS allows.
    TooManyResubmits,
    /// A recirculated packet whose continuation is gone.
    UnknownRecircId(u32),
    /// An action the datapath cannot carry out yet.
    Unsupported(&'static str),
}

impl core::fmt::Display for XlateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            // OVS's words (`xlate_strerror`), which its trace prints.
            XlateError::TooDeep => f.write_str("Recursion too deep"),
            XlateError::TooManyResubmits => f.write_str("Too many resubmits"),
            XlateError::UnknownRecircId(id) => write!(f, "unknown recirc_id {id:#x}"),
            XlateError::Unsupported(what) => write!(f, "unsupported action {what}"),
        }
    }
}

impl std::error::Error for XlateError {}

/// The metadata slots that only exist in translation (with the registers,
/// whose slot is wider than a value): the datapath key never carries
/// them, so they never belong in a megaflow mask.
const TRANSLATION_ONLY: [l::Slot; 3] = [l::METADATA, l::CONJ_ID, l::ACTSET_OUTPUT];

/// actset_output with no output in the action set.
pub(crate) const UNSET_PORT: nxm_fields::Value = nxm_fields::port::OFPP_UNSET as nxm_fields::Value;

/// The ct fields, cleared for packets that have not been through
/// conntrack in this translation's frame of reference.
pub(crate) const CT_SLOTS: [l::Slot; 11] = [
    l::CT_STATE,
    l::CT_ZONE,
    l::CT_MARK,
    l::CT_LABEL,
    l::CT_NW_SRC,
    l::CT_NW_DST,
    l::CT_IPV6_SRC,
    l::CT_IPV6_DST,
    l::CT_NW_PROTO,
    l::CT_TP_SRC,
    l::CT_TP_DST,
];

/// The state of one translation.
pub(crate) struct Ctx<'a> {
    env: Env<'a>,
    flow: Flow,
    base: Flow,
    wc: Flow,
    out: Vec<DpAction>,
    action_set: Vec<Action>,
    /// The packet has been through conntrack (its ct fields are real).
    conntracked: bool,
    /// The table and rule being run, for packet-ins.
    table_id: u8,
    rule_cookie: u64,
    /// The counters of the rule being run (`fin_timeout` cuts its
    /// timeouts there).
    rule_stats: Option<Arc<RuleStats>>,
    rule_is_table_miss: bool,
    /// Resubmits to the same or an earlier table on the stack (OVS's
    /// `depth`), and resubmits in all.
    depth: usize,
    resubmits: usize,
    /// The in_port a `resubmit(PORT,TABLE)` looks its table up with; the
    /// rule found then runs with the packet's own (as in OVS, so that
    /// IN_PORT and NORMAL are not surprised).
    lookup_in_port: Option<nxm_fields::Value>,
    /// Lookups on the stack (the first table's is the outermost).
    frames: usize,
    /// `exit` ran: nothing more is translated.
    exit: bool,
    /// A `pop_mpls` exposed a network header the flow does not know:
    /// actions that need it recirculate first.
    was_mpls: bool,
    /// Lookups on the stack entered by `resubmit` (whose rules have
    /// actions left to run after them, unlike `goto_table`'s).
    resubmitted: usize,
    /// The packet's ethertype as it came to translation.
    packet_eth_type: u16,
    /// The packet's skb_priority as it came, which `pop_queue` restores.
    orig_skb_priority: nxm_fields::Value,
    /// Translating a packet-out's actions, a group's buckets, the action
    /// set: what a packet sent to the controller says of why.
    in_packet_out: bool,
    in_group: bool,
    in_action_set: bool,
    credits: Credits,
    learned: bool,
    learned_flows: Vec<LearnedFlow>,
    /// What `ofproto/trace` prints, when tracing.
    trace: Option<Box<trace::Recorder>>,
    /// A freeze under way: translation is unwinding to recirculate.
    freezing: Option<freeze::Freeze>,
}

impl<'a> Ctx<'a> {
    fn new(env: Env<'a>, packet: &Flow) -> Self {
        let mut wc = Flow::zero();
        // Always part of the decision, as in OVS's xlate_wc_init.
        for slot in [l::RECIRC_ID, l::IN_PORT, l::PACKET_TYPE, l::ETH_TYPE] {
            wc.set(slot, nxm_fields::flow::slot_ones(slot));
        }
        // As in OVS's datapath key, a tag's TPID is always matched.
        for (tci, tpid) in l::VLAN_TAGS {
            if packet.get(tci) & nxm_fields::registry::VLAN_CFI != 0 {
                wc.set(tpid, nxm_fields::flow::slot_ones(tpid));
            }
        }
        let eth_type = packet.get(l::ETH_TYPE) as u16;
        if matches!(
            eth_type,
            nxm_fields::prereq::ETH_TYPE_IP | nxm_fields::prereq::ETH_TYPE_IPV6
        ) {
            wc.set(l::NW_FRAG, nxm_fields::flow::slot_ones(l::NW_FRAG));
        }
        // OVS's actset_output: the action set's output port, unset until
        // one is written.
        let mut flow = packet.clone();
        flow.set(l::ACTSET_OUTPUT, UNSET_PORT);
        Ctx {
            env,
            flow,
            base: packet.clone(),
            wc,
            out: Vec::new(),
            action_set: Vec::new(),
            conntracked: false,
            table_id: 0,
            rule_cookie: 0,
            rule_stats: None,
            rule_is_table_miss: false,
            depth: 0,
            resubmits: 0,
            lookup_in_port: None,
            frames: 0,
            exit: false,
            was_mpls: false,
            resubmitted: 0,
            packet_eth_type: eth_type,
            orig_skb_priority: packet.get(l::SKB_PRIORITY),
            in_packet_out: false,
            in_group: false,
            in_action_set: false,
            credits: Credits::default(),
            learned: false,
            learned_flows: Vec::new(),
            trace: None,
            freezing: None,
        }
    }

    /// Restores a frozen continuation's metadata into the flow.
    fn thaw(&mut self, frozen: &Frozen) {
        self.flow.set(l::IN_PORT, u128::from(frozen.in_port));
        self.flow.set(l::METADATA, u128::from(frozen.metadata));
        for (i, reg) in frozen.regs.iter().enumerate() {
            self.flow.set(l::reg(i), u128::from(*reg));
        }
        // Writing the frozen set again sets actset_output as it was.
        self.action_set.clear();
        self.write_actions(&frozen.action_set);
        self.conntracked = frozen.conntracked;
    }

    /// The continuation of this translation at `table_id`.
    fn freeze(&self, table_id: u8) -> Frozen {
        let mut regs = [0u32; 16];
        for (i, reg) in regs.iter_mut().enumerate() {
            *reg = self.flow.get(l::reg(i)) as u32;
        }
        Frozen {
            table_id,
            in_port: self.flow.get(l::IN_PORT) as u32,
            metadata: self.flow.get(l::METADATA) as u64,
            regs,
            action_set: self.action_set.clone(),
            conntracked: self.conntracked,
            was_mpls: self.was_mpls,
            rest: None,
        }
    }

    /// Forgets what conntrack said, in the translated flow only.
    fn clear_ct_fields(&mut self) {
        for slot in CT_SLOTS {
            self.flow.set(slot, 0);
        }
    }

    fn finish(mut self) -> Xlated {
        for slot in TRANSLATION_ONLY.into_iter().chain((0..16).map(l::reg)) {
            self.wc.set(slot, 0);
        }
        mpls::unkeyed_labels(self.packet_eth_type, &mut self.wc);
        transport_mask(&self.flow, &mut self.wc);
        Xlated {
            actions: Actions::new(self.out),
            mask: self.wc,
            credits: self.credits,
            learned: self.learned,
            learned_flows: self.learned_flows,
        }
    }
}

/// The transport bits a megaflow may match, as OVS 3.1 trims them when a
/// translation ends: ICMP's type and code are 8 bits in the datapath key
/// (a classifier match on the whole port slot keeps its low byte), and a
/// later fragment has no transport header (its rules' port matches are
/// dropped).
fn transport_mask(flow: &Flow, wc: &mut Flow) {
    use nxm_fields::prereq as p;
    let (eth_type, proto) = (flow.get(l::ETH_TYPE) as u16, flow.get(l::NW_PROTO) as u8);
    let icmp = matches!(
        (eth_type, proto),
        (p::ETH_TYPE_IP, p::IPPROTO_ICMP) | (p::ETH_TYPE_IPV6, p::IPPROTO_ICMPV6)
    );
    let later = matches!(eth_type, p::ETH_TYPE_IP | p::ETH_TYPE_IPV6)
        && flow.get(l::NW_FRAG) & nxm_fields::format::FRAG_LATER != 0;
    for slot in [l::TP_SRC, l::TP_DST] {
        if later {
            wc.set(slot, 0);
        } else if icmp {
            wc.set(slot, wc.get(slot) & 0xff);
        }
    }
}

/// Translates the flow of a packet that missed the datapath's cache: from
/// table 0, or, recirculated, from its frozen continuation.
pub fn translate(env: Env<'_>, packet: &Flow) -> Result<Xlated, XlateError> {
    let mut ctx = Ctx::new(env, packet);
    let recirc_id = packet.get(l::RECIRC_ID) as u32;
    let frozen = match recirc_id {
        0 => None,
        id => Some(env.recirc.thaw(id).ok_or(XlateError::UnknownRecircId(id))?),
    };
    if let Some(frozen) = &frozen {
        ctx.thaw(frozen);
    }
    if !ctx.conntracked {
        ctx.clear_ct_fields();
    }
    match &frozen {
        Some(frozen) => ctx.resume(frozen)?,
        None => ctx.run_pipeline(0)?,
    }
    ctx.finish_freezing();
    Ok(ctx.finish())
}

/// What a traced translation produced.
#[derive(Debug)]
pub struct Traced {
    /// The actions and mask as far as translation got.
    pub xlated: Xlated,
    /// Why translation stopped early, if it did.
    pub error: Option<XlateError>,
    /// The flow as the pipeline left it.
    pub final_flow: Flow,
    pub recorder: trace::Recorder,
}

/// Translates as [`translate`] does, recording what `ofproto/trace`
/// prints under a `bridge("NAME")` node. The flow's ct fields are taken
/// as given, as OVS's trace takes them.
pub fn translate_traced(env: Env<'_>, bridge: &str, packet: &Flow) -> Traced {
    let mut ctx = Ctx::new(env, packet);
    let mut recorder = trace::Recorder::default();
    recorder.enter(trace::NodeKind::Bridge, format!("bridge(\"{bridge}\")"));
    ctx.trace = Some(Box::new(recorder));
    let recirc_id = packet.get(l::RECIRC_ID) as u32;
    let result = if recirc_id == 0 {
        ctx.conntracked = packet.get(l::CT_STATE) != 0;
        ctx.run_pipeline(0)
    } else {
        match env.recirc.thaw(recirc_id) {
            Some(frozen) => {
                ctx.thaw(&frozen);
                let thawed = ctx.note_enter(trace::NodeKind::Thaw, || "thaw".into());
                ctx.note(trace::NodeKind::Thaw, |_| {
                    format!("Resuming from table {}", frozen.table_id)
                });
                ctx.note_leave(thawed);
                ctx.resume(&frozen)
            }
            None => Err(XlateError::UnknownRecircId(recirc_id)),
        }
    };
    if result.is_ok() {
        ctx.finish_freezing();
    }
    let final_flow = ctx.flow.clone();
    let recorder = ctx.trace.take().map(|b| *b).unwrap_or_default();
    Traced {
        xlated: ctx.finish(),
        error: result.err(),
        final_flow,
        recorder,
    }
}

/// Translates a packet-out's actions for a packet with flow `packet`.
pub fn translate_packet_out(
    env: Env<'_>,
    packet: &Flow,
    actions: &[Action],
) -> Result<Xlated, XlateError> {
    let mut ctx = Ctx::new(env, packet);
    ctx.in_packet_out = true;
    ctx.clear_ct_fields();
    ctx.do_actions(actions)?;
    ctx.run_action_set()?;
    ctx.finish_freezing();
    Ok(ctx.finish())
}
