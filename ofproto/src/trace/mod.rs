//! `ofproto/trace`: a flow through a bridge's tables, printed as OVS 3.1
//! prints it. Each pass shows the flow, the tree the translation recorded
//! ([`crate::xlate::trace`], rendered by [`render`]), the final flow, the
//! megaflow and the datapath actions. Every `ct(table=N)` queues another
//! pass, resumed from the frozen translation with the next `--ct-next`
//! state (default `trk|new`): like OVS's, this trace does not consult the
//! connection tracker, and with `nat` it simulates the translation by
//! moving the flow to the first address and port of the range. With
//! [`CtNext::Live`] a connection tracker (a copy of the switch's, say)
//! runs each ct instead and the pass resumes with what it said.

pub mod render;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use datapath::action::{Ct as DpCt, SetAction};
use datapath::{Action as DpAction, Actions};
use nxm_fields::format::{format_flags, CT_STATE_FLAGS};
use nxm_fields::layout as l;
use nxm_fields::packet::format_packet;
use nxm_fields::{Flow, Match, Value};
use openflow_codec::action::nat::{flags as nat_flags, Nat, NatAddrs};

use crate::bridge::Bridge;
use crate::xlate::trace::Recirc;
use crate::xlate::translate_traced;
use crate::xlate::{CT_SLOTS, UNSET_PORT};

const VLAN_CFI: Value = 0x1000;
const CS_NEW: u32 = 0x01;
const CS_ESTABLISHED: u32 = 0x02;
const CS_REPLY_DIR: u32 = 0x08;
const CS_INVALID: u32 = 0x10;
const CS_TRACKED: u32 = 0x20;

/// How many recirculations one trace follows (OVS's limit).
const MAX_RECIRCULATIONS: usize = 4096;

/// Parses a `--ct-next` state as OVS does: flag names separated by
/// commas (`trk,est,rpl`), a combination a connection can be in.
pub fn parse_ct_state(text: &str) -> Result<u32, String> {
    let mut state = 0u32;
    for name in text.split(',').filter(|s| !s.is_empty()) {
        let bit = CT_STATE_FLAGS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(bit, _)| *bit as u32)
            .ok_or_else(|| format!("{name}: unknown connection tracking state flag"))?;
        state |= bit;
    }
    let invalid = (state != 0 && state & CS_TRACKED == 0)
        || (state & CS_INVALID != 0 && state & !(CS_INVALID | CS_TRACKED) != 0)
        || (state & CS_NEW != 0 && state & (CS_ESTABLISHED | CS_REPLY_DIR) != 0);
    if invalid {
        return Err(format!("ct_state {text} is not a valid state"));
    }
    Ok(state)
}

/// Where the state of each conntrack recirculation comes from.
pub enum CtNext<'a> {
    /// The given states in turn (`--ct-next`), then `trk|new`; NAT is
    /// simulated. What OVS 3.1's trace does.
    States(&'a [u32]),
    /// A connection tracker, given the packet's flow and the datapath's
    /// ct action, answers with the flow the packet resumes with (its ct
    /// fields and any NAT applied); `None`: the packet did not come back.
    Live(&'a mut dyn FnMut(&Flow, &DpCt) -> Option<Flow>),
}

impl core::fmt::Debug for CtNext<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CtNext::States(s) => f.debug_tuple("States").field(s).finish(),
            CtNext::Live(_) => f.write_str("Live"),
        }
    }
}

impl Bridge {
    /// Traces `flow` through the tables; `ct_next` gives the ct_state of
    /// each conntrack recirculation in turn. Read-only apart from the
    /// recirculation ids it names.
    pub fn trace(&self, flow: &Flow, ct_next: &[u32]) -> String {
        self.trace_with(flow, CtNext::States(ct_next))
    }

    /// [`Bridge::trace`] with the conntrack states from `ct_next`.
    pub fn trace_with(&self, flow: &Flow, ct_next: CtNext<'_>) -> String {
        let mut out = String::new();
        let mut queue = VecDeque::new();
        let (mut states, mut live) = match ct_next {
            CtNext::States(s) => (s.iter(), None),
            CtNext::Live(f) => ([].iter(), Some(f)),
        };
        let mut flow = flow.clone();
        flow.fix_vlan_tpids();
        self.trace_pass(&flow, &mut out, &mut queue);
        let mut followed = 0;
        while let Some(recirc) = queue.pop_front() {
            followed += 1;
            if followed > MAX_RECIRCULATIONS {
                // OVS's words, its typo included.
                let _ = write!(
                    out,
                    "\n\n{}\nTrace reached the recirculation limit.  Sopping the trace here.\
                     \nQueued but not processed: {} recirculations.",
                    "=".repeat(79),
                    queue.len() + 1
                );
                break;
            }
            let flow = match live.as_deref_mut() {
                Some(live) => match live_header(&mut out, recirc, live) {
                    Some(flow) => flow,
                    None => continue,
                },
                None => resume_header(&mut out, recirc, states.next().copied()),
            };
            self.trace_pass(&flow, &mut out, &mut queue);
        }
        out
    }

    fn trace_pass(&self, flow: &Flow, out: &mut String, queue: &mut VecDeque<Recirc>) {
        let _ = writeln!(out, "Flow: {}", format_packet(flow));
        let traced = self.with_env(|env| translate_traced(env, self.name(), flow));
        let (tree, recircs) = traced.recorder.into_tree();
        render::render(out, &tree, 0);
        // The translation starts with actset_output unset; an output
        // written changes the flow, though it prints the same (OVS).
        let mut start = flow.clone();
        start.set(l::ACTSET_OUTPUT, UNSET_PORT);
        let final_flow = if traced.final_flow == start {
            "unchanged".to_string()
        } else {
            format_packet(&traced.final_flow)
        };
        // A translation that failed drops the packet, whatever it had
        // put together.
        let actions = match traced.error {
            Some(_) => "drop".to_string(),
            None => traced.xlated.actions.to_string(),
        };
        let _ = write!(
            out,
            "\nFinal flow: {final_flow}\nMegaflow: {}\nDatapath actions: {actions}",
            Match::masked(flow, &ovs_megaflow_mask(flow, &traced.xlated.mask)),
        );
        if traced.error.is_none() && slow_path_actions(&traced.xlated.actions) {
            let _ = write!(
                out,
                "\nThis flow is handled by the userspace slow path because it:\n  \
                 - Uses action(s) not supported by datapath."
            );
        }
        if let Some(err) = traced.error {
            let _ = write!(out, "\nTranslation failed ({err}), packet is dropped.\n");
        }
        queue.extend(recircs);
    }
}

/// Whether OVS's userspace datapath leaves these actions to its slow
/// path: it has no (masked) set for ICMP type/code or ARP fields.
fn slow_path_actions(actions: &Actions) -> bool {
    actions.iter().any(|a| match a {
        DpAction::Set(set) => matches!(
            set,
            SetAction::Icmp(_) | SetAction::Icmpv6(_) | SetAction::Arp(_)
        ),
        DpAction::Clone(inner) => slow_path_actions(inner),
        _ => false,
    })
}

/// The megaflow mask as OVS shows it: without the VLAN bits of tags the
/// packet does not have. OVS's datapath key tells a missing tag by its
/// ethertype, and its translation drops those bits; ctswitch's flow tells
/// it by the tag's CFI bit, which its megaflow cache must keep matching.
fn ovs_megaflow_mask(flow: &Flow, mask: &Flow) -> Flow {
    let mut mask = mask.clone();
    for slot in [l::VLAN_TCI, l::VLAN_TCI1] {
        if flow.get(slot) & VLAN_CFI == 0 {
            mask.set(slot, 0);
        }
    }
    mask
}

/// Writes the banner of a resumed pass and returns the flow it runs
/// with: the frozen flow with its recirculation id, the ct_state asked
/// for, and NAT simulated.
fn resume_header(out: &mut String, recirc: Recirc, ct_state: Option<u32>) -> Flow {
    let mut flow = recirc.flow;
    flow.set(l::RECIRC_ID, Value::from(recirc.id));
    let _ = write!(out, "\n\n{}\nrecirc({:#x})", "=".repeat(79), recirc.id);
    if recirc.conntrack {
        let state = match ct_state {
            Some(state) => {
                let _ = write!(
                    out,
                    " - resume conntrack with ct_state={}",
                    format_flags(CT_STATE_FLAGS, Value::from(state))
                );
                state
            }
            None => {
                out.push_str(
                    " - resume conntrack with default ct_state=trk|new \
                     (use --ct-next to customize)",
                );
                CS_TRACKED | CS_NEW
            }
        };
        flow.set(l::CT_STATE, Value::from(state));
    }
    out.push('\n');
    if let Some(nat) = &recirc.nat {
        out.push_str("Replacing src/dst IP/ports to simulate NAT:\n Initial flow: ");
        ip_flow(out, &flow, nat.addrs.as_ref());
        simulate_nat(&mut flow, nat);
        out.push_str(" Modified flow: ");
        ip_flow(out, &flow, nat.addrs.as_ref());
    }
    let _ = write!(out, "{}\n\n", "=".repeat(79));
    flow
}

/// Writes the banner of a pass resumed with what a connection tracker
/// said, and returns its flow: the frozen flow with the tracker's ct
/// fields and (translated) addresses and ports.
fn live_header(
    out: &mut String,
    recirc: Recirc,
    live: &mut dyn FnMut(&Flow, &DpCt) -> Option<Flow>,
) -> Option<Flow> {
    let _ = write!(out, "\n\n{}\nrecirc({:#x})", "=".repeat(79), recirc.id);
    let resumed = recirc.ct.as_ref().and_then(|ct| live(&recirc.flow, ct));
    let Some(resumed) = resumed else {
        let _ = write!(
            out,
            " - conntrack kept the packet (no recirculation)\n{}\n",
            "=".repeat(79)
        );
        return None;
    };
    let mut flow = recirc.flow;
    // What the tracker's answer decides: the ct fields and what NAT
    // rewrote.
    for slot in CT_SLOTS.into_iter().chain(NAT_SLOTS) {
        flow.set(slot, resumed.get(slot));
    }
    flow.set(l::RECIRC_ID, Value::from(recirc.id));
    let _ = write!(
        out,
        " - resume conntrack with ct_state={} (from the connection tracker)\n{}\n\n",
        format_flags(CT_STATE_FLAGS, flow.get(l::CT_STATE)),
        "=".repeat(79)
    );
    Some(flow)
}

/// What NAT may rewrite in a resumed flow (the ct fields aside).
const NAT_SLOTS: [l::Slot; 6] = [
    l::NW_SRC,
    l::NW_DST,
    l::IPV6_SRC,
    l::IPV6_DST,
    l::TP_SRC,
    l::TP_DST,
];

/// Moves the flow to the first address and port of the NAT range, in the
/// direction the action translates.
fn simulate_nat(flow: &mut Flow, nat: &Nat) {
    let Some(addrs) = &nat.addrs else {
        return;
    };
    let sides = [
        (nat_flags::SRC, l::NW_SRC, l::IPV6_SRC, l::TP_SRC),
        (nat_flags::DST, l::NW_DST, l::IPV6_DST, l::TP_DST),
    ];
    for (flag, v4, v6, port) in sides {
        if nat.flags & flag == 0 {
            continue;
        }
        match addrs {
            NatAddrs::V4 { min, .. } => flow.set(v4, Value::from(u32::from(*min))),
            NatAddrs::V6 { min, .. } => flow.set(v6, u128::from(*min)),
        }
        if nat.proto_min != 0 {
            flow.set(port, Value::from(nat.proto_min));
        }
    }
}

/// `nw_src=A,tp_src=P,nw_dst=B,tp_dst=Q` (IPv6 addresses in brackets), or
/// nothing when the NAT has no address range.
fn ip_flow(out: &mut String, flow: &Flow, addrs: Option<&NatAddrs>) {
    let port = |slot| flow.get(slot) as u16;
    match addrs {
        Some(NatAddrs::V4 { .. }) => {
            let addr = |slot| IpAddr::V4(Ipv4Addr::from(flow.get(slot) as u32));
            let _ = write!(
                out,
                "nw_src={},tp_src={},nw_dst={},tp_dst={}",
                addr(l::NW_SRC),
                port(l::TP_SRC),
                addr(l::NW_DST),
                port(l::TP_DST)
            );
        }
        Some(NatAddrs::V6 { .. }) => {
            let addr = |slot| Ipv6Addr::from(flow.get(slot));
            let _ = write!(
                out,
                "ipv6_src=[{}],tp_src={},ipv6_dst=[{}],tp_dst={}",
                addr(l::IPV6_SRC),
                port(l::TP_SRC),
                addr(l::IPV6_DST),
                port(l::TP_DST)
            );
        }
        None => {}
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    // What OVS 3.1's `ofproto/trace --ct-next` accepts and refuses.
    #[test]
    fn ct_next_states_are_checked_as_ovs_checks_them() {
        assert_eq!(parse_ct_state("trk,est,rpl"), Ok(0x2a));
        assert_eq!(parse_ct_state("trk,new,rel"), Ok(0x25));
        assert_eq!(parse_ct_state("trk,dnat,new"), Ok(0xa1));
        assert_eq!(parse_ct_state(""), Ok(0));
        for bad in [
            "est",
            "trk|est",
            "new,est,trk",
            "trk,inv,new",
            "+trk",
            "trk,rpl,new",
        ] {
            assert!(parse_ct_state(bad).is_err(), "{bad}");
        }
    }
}
