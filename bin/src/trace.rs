//! `ofproto/trace` for the CLI and the daemon: its arguments read as OVS
//! 3.1 reads them ([`parse_args`]), and [`Live`], a trace whose `ct`
//! actions run on a copy of the switch's connection tracker, so that
//! each pass resumes with the ct_state the tracker really gives, while
//! the switch's own table stays untouched.
//!
//! The flow is in OpenFlow syntax with every field exact (`in_port=NAME`
//! or a number, shorthands like `tcp`, fields after their
//! prerequisites); fields not given are zero and in_port is `ANY`. A hex
//! frame after it replaces the packet fields with the frame's. An ODP
//! flow is refused (OVS reads one only without a bridge name).

use conntrack::Conntrack;
use datapath::action::Ct as DpCt;
use datapath::execute::{execute, Context, Transmit};
use datapath::{
    Action as DpAction, Actions, MissReply, Packet, Upcall, UpcallError, UserspacePacket,
};
use nxm_fields::layout as l;
use nxm_fields::port::OFPP_ANY;
use nxm_fields::registry::field_by_name;
use nxm_fields::text::Applied;
use nxm_fields::{Flow, Match, Value};
use ofproto::trace::{parse_ct_state, CtNext};
use ofproto::Bridge;

use crate::compose::compose;

/// What a trace line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceArgs {
    pub flow: Flow,
    /// The `--ct-next` states, in order.
    pub ct_next: Vec<u32>,
}

/// Reads `ofproto/trace`'s arguments after the bridge name; `port`
/// gives the number of a port named in `in_port=NAME`.
pub fn parse_args(
    args: &[String],
    port: &dyn Fn(&str) -> Option<u32>,
) -> Result<TraceArgs, String> {
    let mut ct_next = Vec::new();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--ct-next" => {
                let state = it.next().ok_or("Missing argument for option --ct-next")?;
                ct_next.push(parse_ct_state(state)?);
            }
            a if a.starts_with('-') => return Err(format!("{a}: unknown option")),
            a => positional.push(a),
        }
    }
    let (flow_text, packet) = match positional.as_slice() {
        [flow] => (*flow, None),
        [flow, packet] => (*flow, Some(*packet)),
        [] => return Err("Syntax error".into()),
        _ => return Err("too many arguments".into()),
    };
    let mut flow = exact_flow(flow_text, port)?;
    if let Some(hex) = packet {
        let frame = crate::hex::decode(hex).ok_or("Trailing garbage in packet data")?;
        let in_port = flow.get(l::IN_PORT) as u32;
        flow = datapath::extract_tags(&frame, in_port, datapath::PIPELINE_VLAN_LIMIT);
    }
    Ok(TraceArgs { flow, ct_next })
}

/// An OpenFlow flow with every field exact, as `parse_ofp_exact_flow`
/// reads it.
fn exact_flow(text: &str, port: &dyn Fn(&str) -> Option<u32>) -> Result<Flow, String> {
    let bad = |e: String| format!("Bad openflow flow syntax: {text}: {e}");
    if text.contains('(') {
        return Err("Cannot find the datapath".into());
    }
    let mut m = Match::catch_all();
    let mut in_port_given = false;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (part, None),
        };
        let masked =
            value.is_some_and(|v| v.contains('/') || key == "ct_state" && v.contains(['+', '-']));
        if masked {
            return Err(bad(format!(
                "bad value for {key} ({}: wildcards not allowed here)",
                value.unwrap_or("")
            )));
        }
        let value = match (key, value) {
            ("in_port", Some(v)) => {
                in_port_given = true;
                Some(port(v).map_or_else(|| v.to_string(), |n| n.to_string()))
            }
            (_, v) => v.map(str::to_string),
        };
        if let Some(def) = field_by_name(key) {
            if !m.prereqs_ok(def) {
                return Err(bad(format!("prerequisites not met for setting {key}")));
            }
        }
        match m
            .apply_text(key, value.as_deref())
            .map_err(|e| bad(e.to_string()))?
        {
            Applied::Yes => {}
            Applied::NotAMatchKey => return Err(bad(format!("unknown keyword {key}"))),
        }
    }
    let mut flow = m.flow().clone();
    if !in_port_given {
        flow.set(l::IN_PORT, Value::from(OFPP_ANY));
    }
    Ok(flow)
}

/// A copy of a connection tracker, taken when the trace starts, on which
/// a live trace runs its `ct` actions one after another (so a later ct
/// sees what an earlier one committed). TCP connections copied from a
/// dump have no sequence numbers, so their window checks are relaxed.
pub struct Live {
    copy: Conntrack,
    now_ms: u64,
}

impl core::fmt::Debug for Live {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Live")
            .field("now_ms", &self.now_ms)
            .finish()
    }
}

/// Where the ct pass's packet goes: nowhere.
struct Nowhere;

impl Transmit for Nowhere {
    fn transmit(&self, _port: u32, _packet: &Packet) {}
}

impl Upcall for Nowhere {
    fn miss(&self, _flow: &Flow) -> Result<MissReply, UpcallError> {
        Err(UpcallError::Translation("a live trace runs ct only".into()))
    }

    fn userspace(&self, _packet: UserspacePacket) {}
}

/// Payload bytes of a traced packet (as OVS composes one).
const PAYLOAD: usize = 64;

impl Live {
    /// A copy of `ct`'s connections and settings.
    pub fn snapshot(ct: &Conntrack) -> Live {
        let now_ms = conntrack::now_ms();
        let copy = Conntrack::new();
        copy.set_tcp_seq_check(ct.tcp_seq_check());
        for entry in ct.dump(None, now_ms) {
            // A connection the copy cannot take is one the trace misses.
            let _ = copy.insert(&entry, now_ms);
        }
        Live { copy, now_ms }
    }

    /// Runs the datapath's `action` on the packet of `flow` (built as
    /// OVS composes it) and returns the flow it comes back with.
    pub fn run(&self, flow: &Flow, action: &DpCt) -> Option<Flow> {
        let frame = compose(flow, PAYLOAD);
        let mut packet = Packet::new(frame, flow.get(l::IN_PORT) as u32);
        packet.md.recirc_id = 0;
        let ctx = Context {
            conntrack: &self.copy,
            ports: &Nowhere,
            upcall: &Nowhere,
            now_ms: self.now_ms,
        };
        let actions = Actions::new(vec![DpAction::Ct(*action), DpAction::Recirc(1)]);
        execute(&ctx, vec![packet], &actions)
            .recirculate
            .first()
            .map(Packet::flow)
    }
}

/// Traces `args` (after the bridge name) on `bridge`: with `--ct-next`
/// states as OVS does, or with `live`, on a copy of `ct`. `port` names
/// ports, as in [`parse_args`].
pub fn run(
    bridge: &Bridge,
    ct: &Conntrack,
    args: &[String],
    live: bool,
    port: &dyn Fn(&str) -> Option<u32>,
) -> Result<String, String> {
    let t = parse_args(args, port)?;
    if !live {
        return Ok(bridge.trace(&t.flow, &t.ct_next));
    }
    let copy = Live::snapshot(ct);
    let mut run = |flow: &Flow, action: &DpCt| copy.run(flow, action);
    Ok(bridge.trace_with(&t.flow, CtNext::Live(&mut run)))
}
