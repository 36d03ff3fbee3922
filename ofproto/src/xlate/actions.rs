//! Translation of each OpenFlow action: field writes go to the translated
//! flow (and reach the datapath when committed), outputs and ct emit
//! datapath actions, resubmit re-enters the pipeline.

use datapath::Action as DpAction;
use nxm_fields::flow::{slot_ones, TPID_8021Q};
use nxm_fields::format::CHex;
use nxm_fields::layout as l;
use nxm_fields::port::from_ofp10;
use nxm_fields::prereq::{Prereq, ETH_TYPE_IPV6};
use nxm_fields::{field, FieldId, Flow, Subfield, Value};
use openflow_codec::action::legacy::LegacySet;
use openflow_codec::action::vlan::PushIfNeeded;
use openflow_codec::action::{format_actions, Action};

use super::field::{read, read_subfield, write, write_subfield};
use super::prereq::prereqs_ok;
use super::trace::NodeKind;
use super::{Ctx, XlateError};
use crate::packet_in::reason;

const VLAN_CFI: Value = 0x1000;
const VLAN_VID: Value = 0x0fff;
const VLAN_PCP: Value = 0xe000;

impl Ctx<'_> {
    /// Runs an action list; an action that freezes translation (or one
    /// that needs the header a `pop_mpls` exposed) keeps it and the rest
    /// of the list for the next pass ([`super::freeze`]).
    pub(super) fn do_actions(&mut self, actions: &[Action]) -> Result<(), XlateError> {
        for (i, action) in actions.iter().enumerate() {
            if self.exit {
                break;
            }
            if self.was_mpls && needs_l3(action) {
                self.trigger_freeze(None);
                self.unroll_actions(&actions[i..]);
                break;
            }
            self.do_action(action)?;
            if self.freezing.is_some() {
                let from = if self.freeze_is_empty() { i } else { i + 1 };
                self.unroll_actions(&actions[from..]);
                break;
            }
        }
        Ok(())
    }

    pub(super) fn do_action(&mut self, action: &Action) -> Result<(), XlateError> {
        self.note(NodeKind::Action, |_| {
            format_actions(std::slice::from_ref(action))
        });
        match action {
            Action::Output(o) => self.output(from_ofp10(o.port), o.max_len)?,
            Action::OutputTrunc(o) => self.output_trunc(from_ofp10(o.port), o.max_len)?,
            Action::OutputReg(o) => {
                let port = read_subfield(&self.flow, &mut self.wc, &o.src) as u32;
                self.output(port, o.max_len)?;
            }
            Action::Controller(c) => self.controller(c.reason, c.max_len, c.controller_id),
            Action::Resubmit(r) => self.resubmit(r)?,
            Action::Ct(ct) => self.ct(ct),
            Action::CtClear(_) => {
                if self.conntracked {
                    self.out.push(DpAction::CtClear);
                }
                self.conntracked = false;
                self.clear_ct_fields();
            }
            Action::SetField(s) => {
                self.set_field_action(s.field, s.value, field(s.field).exact_mask())
            }
            Action::RegLoad2(r) => {
                let mask = r.mask.unwrap_or(field(r.field).exact_mask());
                self.set_field_action(r.field, r.value, mask);
            }
            Action::RegLoad(r) => {
                write_subfield(&mut self.flow, &mut self.wc, &r.dst, Value::from(r.value));
            }
            Action::RegMove(m) => {
                let value = read_subfield(&self.flow, &mut self.wc, &m.src);
                write_subfield(&mut self.flow, &mut self.wc, &m.dst, value);
                self.note(NodeKind::Detail, |flow| subfield_now(flow, &m.dst));
            }
            Action::LegacySet(set) => self.legacy_set(set),
            Action::PushVlan(p) => self.push_vlan(p.ethertype),
            Action::PopVlan(_) => {
                self.wc.set(l::VLAN_TCI, slot_ones(l::VLAN_TCI));
                let [(outer_tci, outer_tpid), (inner_tci, inner_tpid)] = l::VLAN_TAGS;
                for (to, from) in [(outer_tci, inner_tci), (outer_tpid, inner_tpid)] {
                    let inner = self.flow.get(from);
                    self.flow.set(to, inner);
                    self.flow.set(from, 0);
                }
            }
            Action::SetVlanVid(v) => self.set_vlan(v.push, Value::from(v.vid), VLAN_VID),
            Action::SetVlanPcp(v) => self.set_vlan(v.push, Value::from(v.pcp) << 13, VLAN_PCP),
            Action::SetNwTtl(t) => {
                if prereqs_ok(Prereq::IpAny, &self.flow, &mut self.wc) {
                    self.flow.set(l::NW_TTL, Value::from(t.ttl));
                    self.wc.set(l::NW_TTL, slot_ones(l::NW_TTL));
                }
            }
            Action::DecTtl(d) => self.dec_ttl(&d.controller_ids),
            Action::Clone(c) => self.clone_actions(&c.actions)?,
            Action::Exit(_) => self.exit = true,
            Action::Group(g) => self.group(g.group_id)?,
            Action::FinTimeout(f) => self.fin_timeout(f),
            // A queue is the packet's skb_priority, as OVS's userspace
            // datapath maps it (the queue number itself); pop_queue
            // restores the one it came with. Both match it.
            Action::SetQueue(q) => {
                self.wc.set(l::SKB_PRIORITY, slot_ones(l::SKB_PRIORITY));
                self.flow.set(l::SKB_PRIORITY, Value::from(q.queue_id));
            }
            Action::PopQueue(_) => {
                self.wc.set(l::SKB_PRIORITY, slot_ones(l::SKB_PRIORITY));
                let queue = self.orig_skb_priority;
                // OVS's trace says so only when it changes the queue.
                if self.flow.get(l::SKB_PRIORITY) != queue {
                    self.flow.set(l::SKB_PRIORITY, queue);
                    self.note(NodeKind::Detail, |_| format!("queue = {}", CHex(queue)));
                }
            }
            // Accepted and without effect on a packet: notes, sampling
            // (no collectors), tunnel ids (no tunnel ports), conjunction
            // (only meaningful as a match; not supported).
            Action::Note(_) | Action::Sample(_) | Action::SetTunnel(_) | Action::Conjunction(_) => {
            }
            Action::PushMpls(m) => self.push_mpls(m.ethertype),
            Action::PopMpls(m) => self.pop_mpls(m.ethertype),
            Action::SetMplsTtl(t) => {
                if !self.set_mpls_ttl(t.ttl) {
                    self.exit = true;
                }
            }
            Action::DecMplsTtl(_) => {
                if !self.dec_mpls_ttl() {
                    self.exit = true;
                }
            }
            Action::Bundle(b) => self.bundle(b)?,
            Action::Learn(l) => self.learn(l),
            Action::Multipath(m) => self.multipath(m),
            Action::CheckPktLarger(_) => return Err(XlateError::Unsupported("check_pkt_larger")),
            Action::Encap(_) | Action::Decap(_) => return Err(XlateError::Unsupported("encap")),
            Action::DeleteField(_) => return Err(XlateError::Unsupported("delete_field")),
            Action::DecNshTtl(_) => return Err(XlateError::Unsupported("dec_nsh_ttl")),
            Action::Stack(_) => return Err(XlateError::Unsupported("push/pop")),
            Action::Debug(_) => return Err(XlateError::Unsupported("debug_recirc/debug_slow")),
            // Only valid inside ct(), where ct translation reads it.
            Action::Nat(_) => {}
        }
        Ok(())
    }

    /// Writes a field, if the packet has what the field needs; whether
    /// it did.
    fn set_field(&mut self, id: FieldId, value: Value, mask: Value) -> bool {
        let def = field(id);
        let present = prereqs_ok(def.prereq, &self.flow, &mut self.wc);
        if present {
            write(&mut self.flow, &mut self.wc, def, value, mask);
        }
        present
    }

    /// `set_field` (and its masked form, `load` to an OXM field): on a
    /// packet without the field, a trace says why nothing happened.
    fn set_field_action(&mut self, id: FieldId, value: Value, mask: Value) {
        if !self.set_field(id, value, mask) {
            self.note(NodeKind::Warn, |_| {
                format!(
                    "unmet prerequisites for {}, set_field ignored",
                    field(id).name
                )
            });
        }
    }

    fn legacy_set(&mut self, set: &LegacySet) {
        let mac = |b: &[u8; 6]| b.iter().fold(0, |acc, &x| (acc << 8) | Value::from(x));
        // OpenFlow 1.0 sets are silently skipped on other packets.
        let _present = match set {
            LegacySet::EthSrc(m) => self.set_field(FieldId::EthSrc, mac(m), slot_ones(l::ETH_SRC)),
            LegacySet::EthDst(m) => self.set_field(FieldId::EthDst, mac(m), slot_ones(l::ETH_DST)),
            LegacySet::Ipv4Src(a) => {
                self.set_field(FieldId::Ipv4Src, u32::from(*a).into(), 0xffff_ffff)
            }
            LegacySet::Ipv4Dst(a) => {
                self.set_field(FieldId::Ipv4Dst, u32::from(*a).into(), 0xffff_ffff)
            }
            LegacySet::Tos(tos) => self.set_field(FieldId::IpDscp, Value::from(*tos >> 2), 0xff),
            LegacySet::Ecn(ecn) => self.set_field(FieldId::IpEcn, Value::from(*ecn), 0xff),
            LegacySet::TpSrc(p) => self.set_port(l::TP_SRC, p.port),
            LegacySet::TpDst(p) => self.set_port(l::TP_DST, p.port),
            LegacySet::MplsLabel(label) => {
                self.set_field(FieldId::MplsLabel, Value::from(*label), 0xf_ffff)
            }
            LegacySet::MplsTc(tc) => self.set_field(FieldId::MplsTc, Value::from(*tc), 7),
        };
    }

    /// OpenFlow 1.0's set-transport-port: whatever the transport is;
    /// whether the packet has one.
    fn set_port(&mut self, slot: l::Slot, port: u16) -> bool {
        let tcp = prereqs_ok(Prereq::Tcp, &self.flow, &mut self.wc);
        let udp = prereqs_ok(Prereq::Udp, &self.flow, &mut self.wc);
        let sctp = prereqs_ok(Prereq::Sctp, &self.flow, &mut self.wc);
        let present = tcp || udp || sctp;
        if present {
            self.flow.set(slot, Value::from(port));
            self.wc.set(slot, slot_ones(slot));
        }
        present
    }

    /// A new outermost tag with this TPID (the old outer tag becomes the
    /// inner one; a flow keeps two).
    fn push_vlan(&mut self, tpid: u16) {
        self.wc.set(l::VLAN_TCI, slot_ones(l::VLAN_TCI));
        let [(outer_tci, outer_tpid), (inner_tci, inner_tpid)] = l::VLAN_TAGS;
        for (from, to) in [(outer_tci, inner_tci), (outer_tpid, inner_tpid)] {
            let outer = self.flow.get(from);
            self.flow.set(to, outer);
        }
        self.flow.set(outer_tci, VLAN_CFI);
        self.flow.set(outer_tpid, Value::from(tpid));
    }

    /// OpenFlow 1.1's set-VLAN-VID/PCP: pushes a tag first if asked to.
    fn set_vlan(&mut self, push: PushIfNeeded, bits: Value, mask: Value) {
        self.wc.set(l::VLAN_TCI, slot_ones(l::VLAN_TCI));
        let tci = self.flow.get(l::VLAN_TCI);
        if tci & VLAN_CFI == 0 {
            if !push.wanted {
                return;
            }
            self.push_vlan(TPID_8021Q);
        }
        let tci = self.flow.get(l::VLAN_TCI);
        self.flow
            .set(l::VLAN_TCI, (tci & !mask) | (bits & mask) | VLAN_CFI);
    }

    /// `dec_ttl`: an IP packet whose TTL would reach zero goes to the
    /// controllers listed (default 0) with reason "invalid TTL" instead.
    fn dec_ttl(&mut self, controller_ids: &[u16]) {
        if !prereqs_ok(Prereq::IpAny, &self.flow, &mut self.wc) {
            return;
        }
        // OVS's dec_ttl reads the protocol too, and its megaflow keeps it.
        self.wc.set(l::NW_PROTO, slot_ones(l::NW_PROTO));
        let ttl = read(&self.flow, &mut self.wc, field(FieldId::IpTtl));
        if ttl > 1 {
            self.flow.set(l::NW_TTL, ttl - 1);
            return;
        }
        self.note(NodeKind::Warn, |flow| {
            let version = if flow.get(l::ETH_TYPE) == Value::from(ETH_TYPE_IPV6) {
                6
            } else {
                4
            };
            format!("IPv{version} decrement TTL exception")
        });
        let ids: &[u16] = if controller_ids.is_empty() {
            &[0]
        } else {
            controller_ids
        };
        for &id in ids {
            self.controller(reason::INVALID_TTL, u16::MAX, id);
        }
        self.exit = true;
    }

    /// `clone(...)`: the nested actions see a copy of the packet; the
    /// packet itself goes on unchanged. As in OVS, actions whose effect
    /// later commits can undo run on a copy of the flow alone; only
    /// the others (ct, meters, truncation) need the datapath's clone.
    /// A freeze inside recirculates from the clone's end, and then (OVS
    /// 3.1's behaviour) the actions after the clone are not run. The
    /// clone runs its own copy of the action set at its end.
    pub(super) fn clone_actions(&mut self, actions: &[Action]) -> Result<(), XlateError> {
        let saved_set = self.action_set.clone();
        let result = if actions.iter().all(reversible) {
            let (result, froze) = self.on_flow_copy(|ctx| ctx.clone_body(actions));
            self.exit = froze;
            result
        } else {
            self.datapath_clone(actions)
        };
        self.action_set = saved_set;
        result
    }

    /// A clone in the datapath's `clone` action.
    fn datapath_clone(&mut self, actions: &[Action]) -> Result<(), XlateError> {
        let saved_flow = self.flow.clone();
        let saved_base = self.base.clone();
        let saved_ct = self.conntracked;
        let outer = std::mem::take(&mut self.out);
        let result = self.clone_body(actions);
        let froze = self.freezing.is_some();
        self.finish_freezing();
        let inner = std::mem::replace(&mut self.out, outer);
        self.flow = saved_flow;
        self.base = saved_base;
        self.conntracked = saved_ct;
        self.exit = froze;
        if !inner.is_empty() {
            self.out.push(DpAction::Clone(inner.into()));
        }
        result
    }

    /// A clone's actions, then, as OVS 3.1 ends a clone, the action set
    /// (the clone's copy) unless it froze.
    fn clone_body(&mut self, actions: &[Action]) -> Result<(), XlateError> {
        self.do_actions(actions)?;
        self.run_action_set()
    }
}

/// `SUBFIELD is now VALUE`, a move's note in a trace, for the value the
/// subfield holds in `flow`.
pub(super) fn subfield_now(flow: &Flow, sf: &Subfield) -> String {
    subfield_is(sf, read_subfield(flow, &mut Flow::zero(), sf))
}

/// `SUBFIELD is now VALUE`: a whole field's value as the field prints,
/// part of one in hex (zero as a bare `0`, as OVS's `ds_put_hex`).
pub(super) fn subfield_is(sf: &Subfield, value: Value) -> String {
    let def = sf.def();
    let text = if sf.ofs == 0 && sf.n_bits >= def.n_bits {
        def.format_value(value, None)
    } else if value == 0 {
        "0".to_string()
    } else {
        format!("{value:#x}")
    };
    format!("{sf} is now {text}")
}

/// Whether an action needs the packet's network header (or more) to be
/// known, which after a `pop_mpls` it is not (OVS's `recirc_for_mpls`):
/// all but outputs, groups and L2 writes.
pub(super) fn needs_l3(action: &Action) -> bool {
    let l2 = |id: FieldId| field(id).view.slot.range().start < l::NW_SRC.range().start;
    match action {
        Action::Output(_)
        | Action::OutputTrunc(_)
        | Action::OutputReg(_)
        | Action::SetVlanVid(_)
        | Action::SetVlanPcp(_)
        | Action::SetTunnel(_)
        | Action::SetQueue(_)
        | Action::Group(_)
        | Action::LegacySet(LegacySet::EthSrc(_) | LegacySet::EthDst(_)) => false,
        Action::SetField(s) => !l2(s.field),
        _ => true,
    }
}

/// Whether an action's effect on the packet can be undone by committing
/// the flow as it was (OVS's `reversible_actions`).
fn reversible(action: &Action) -> bool {
    !matches!(
        action,
        Action::Ct(_)
            | Action::Nat(_)
            | Action::OutputTrunc(_)
            | Action::Encap(_)
            | Action::Decap(_)
    )
}
