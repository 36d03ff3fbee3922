//! MPLS in translation: `push_mpls`, `pop_mpls`, `set_mpls_ttl`,
//! `dec_mpls_ttl` and the label stack's share of committing, with OVS
//! 3.1's semantics.
//!
//! The translated flow keeps up to three label stack entries. Pushing onto
//! an IP, IPv6 or ARP packet builds the first entry from the packet (label
//! 0, or 2 for IPv6, the explicit nulls; tc from the low DSCP bits and ttl
//! from the IP TTL, 64 when there is none) and forgets the L3/L4 fields,
//! which the packet now hides; pushing onto a stack copies the top entry
//! without its bottom-of-stack bit. After a pop to a non-MPLS ethertype the
//! packet's network header is unknown to the flow, so, as in OVS, the
//! first action, instruction or lookup that needs it freezes what is left
//! ([`super::freeze`]): the datapath pops and recirculates, and the rest
//! runs on the packet's real headers.

use datapath::action::{Lse, PushMpls};
use datapath::Action as DpAction;
use nxm_fields::flow::slot_ones;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq as p;
use nxm_fields::{Flow, Value};

use super::trace::NodeKind;
use super::Ctx;
use crate::packet_in::reason;

/// The label stack entries the flow keeps, outermost first.
const LSE_SLOTS: [Slot; 3] = [l::MPLS_LSE, l::MPLS_LSE1, l::MPLS_LSE2];
const BOS: Value = 0x100;
const TTL: Value = 0xff;
/// The DSCP bits of the IP TOS byte.
const DSCP: Value = 0xfc;

/// The network and transport fields a pushed label stack hides.
const L3_L4: [Slot; 17] = [
    l::NW_SRC,
    l::NW_DST,
    l::IPV6_SRC,
    l::IPV6_DST,
    l::IPV6_LABEL,
    l::NW_PROTO,
    l::NW_TOS,
    l::NW_TTL,
    l::NW_FRAG,
    l::ARP_SHA,
    l::ARP_THA,
    l::ND_TARGET,
    l::ND_RESERVED,
    l::ND_OPTIONS_TYPE,
    l::TP_SRC,
    l::TP_DST,
    l::TCP_FLAGS,
];

pub(super) fn is_mpls(eth_type: u16) -> bool {
    eth_type == p::ETH_TYPE_MPLS || eth_type == p::ETH_TYPE_MPLS_MCAST
}

/// How many entries the flow's stack has (all it keeps when none of them
/// is the bottom one); the bottom-of-stack bits read go into `wc`.
pub(super) fn count_labels(flow: &Flow, mut wc: Option<&mut Flow>) -> usize {
    if !is_mpls(flow.get(l::ETH_TYPE) as u16) {
        return 0;
    }
    for (i, slot) in LSE_SLOTS.into_iter().enumerate() {
        if let Some(wc) = wc.as_deref_mut() {
            wc.set(slot, wc.get(slot) | BOS);
        }
        if flow.get(slot) & BOS != 0 {
            return i + 1;
        }
    }
    LSE_SLOTS.len()
}

/// The entries both stacks share at their bottom end.
fn common_labels(a: &Flow, an: usize, b: &Flow, bn: usize) -> usize {
    (0..an.min(bn))
        .take_while(|i| a.get(LSE_SLOTS[an - 1 - i]) == b.get(LSE_SLOTS[bn - 1 - i]))
        .count()
}

/// Pushes `lse` onto the flow's `n`-entry stack.
fn push_lse(flow: &mut Flow, n: usize, lse: Value) {
    for i in (1..=n.min(LSE_SLOTS.len() - 1)).rev() {
        flow.set(LSE_SLOTS[i], flow.get(LSE_SLOTS[i - 1]));
    }
    flow.set(l::MPLS_LSE, lse);
}

/// Pops the top of the flow's `n`-entry stack.
fn pop_lse(flow: &mut Flow, n: usize, eth_type: u16) {
    let n = n.min(LSE_SLOTS.len());
    for i in 1..n {
        flow.set(LSE_SLOTS[i - 1], flow.get(LSE_SLOTS[i]));
    }
    if let Some(&last) = LSE_SLOTS.get(n.wrapping_sub(1)) {
        flow.set(last, 0);
    }
    flow.set(l::ETH_TYPE, Value::from(eth_type));
}

/// Forgets the label stack in a megaflow mask when the packet had none:
/// the datapath's key of a non-MPLS packet carries no label stack entries
/// (for entries a push wrote, translation may have read or written them).
pub(super) fn unkeyed_labels(packet_eth_type: u16, wc: &mut Flow) {
    if !is_mpls(packet_eth_type) {
        for slot in LSE_SLOTS {
            wc.set(slot, 0);
        }
    }
}

/// The label stack part of a commit, done before the IP sets when the
/// flow no longer is MPLS (a pop exposes the header they rewrite) and
/// after them otherwise: entries of `base` that `flow` does not share
/// are popped (or, the last one, rewritten) and `flow`'s others pushed.
pub(super) fn commit_mpls(flow: &Flow, base: &mut Flow, out: &mut Vec<DpAction>) {
    let mut base_n = count_labels(base, None);
    let flow_n = count_labels(flow, None);
    let mut common = common_labels(flow, flow_n, base, base_n);
    let flow_type = flow.get(l::ETH_TYPE) as u16;
    while base_n > common {
        if base_n - 1 == common && flow_n > common {
            let lse = flow.get(LSE_SLOTS[flow_n - base_n]);
            out.push(DpAction::SetMpls(Lse(lse as u32)));
            base.set(l::MPLS_LSE, lse);
            common += 1;
        } else {
            // Popping all but the last entry keeps the frame MPLS.
            let next = if !is_mpls(flow_type) && base_n > 1 {
                p::ETH_TYPE_MPLS
            } else {
                flow_type
            };
            out.push(DpAction::PopMpls(next));
            pop_lse(base, base_n, flow_type);
            base_n -= 1;
        }
    }
    while base_n < flow_n {
        let lse = flow.get(LSE_SLOTS[flow_n - base_n - 1]);
        out.push(DpAction::PushMpls(PushMpls {
            lse: Lse(lse as u32),
            ethertype: flow_type,
        }));
        push_lse(base, base_n, lse);
        base.set(l::ETH_TYPE, Value::from(flow_type));
        base_n += 1;
    }
}

impl Ctx<'_> {
    /// `push_mpls:ETHERTYPE`.
    pub(super) fn push_mpls(&mut self, ethertype: u16) {
        let n = count_labels(&self.flow, Some(&mut self.wc));
        if n >= LSE_SLOTS.len() {
            self.too_many_labels();
            return;
        }
        if n == 0 {
            // What the packet had before the stack hides it.
            super::commit::commit(&self.flow, &mut self.base, &mut self.wc, &mut self.out);
            let eth_type = self.flow.get(l::ETH_TYPE) as u16;
            let mut label = 0;
            let mut tc = 0;
            let mut ttl = 64;
            if eth_type == p::ETH_TYPE_IPV6 {
                label = 2;
            }
            if matches!(eth_type, p::ETH_TYPE_IP | p::ETH_TYPE_IPV6) {
                let tos = self.flow.get(l::NW_TOS);
                tc = ((tos & DSCP) >> 2) as u8;
                self.wc.set(l::NW_TOS, self.wc.get(l::NW_TOS) | DSCP);
                self.wc.set(l::NW_TTL, slot_ones(l::NW_TTL));
                let nw_ttl = self.flow.get(l::NW_TTL) as u8;
                if nw_ttl != 0 {
                    ttl = nw_ttl;
                }
            }
            let lse = Lse::new(label, tc, ttl, true);
            self.flow.set(l::MPLS_LSE, Value::from(lse.0));
            for slot in L3_L4 {
                self.flow.set(slot, 0);
            }
        } else {
            // The new entry is a copy of the top one, all of which is read.
            self.wc.set(l::MPLS_LSE, slot_ones(l::MPLS_LSE));
            let top = self.flow.get(l::MPLS_LSE) & !BOS;
            push_lse(&mut self.flow, n, top);
        }
        self.flow.set(l::ETH_TYPE, Value::from(ethertype));
    }

    /// `pop_mpls:ETHERTYPE`.
    pub(super) fn pop_mpls(&mut self, ethertype: u16) {
        let n = count_labels(&self.flow, Some(&mut self.wc));
        if n == 0 {
            return;
        }
        if n == LSE_SLOTS.len() {
            // Below the third entry the flow knows nothing to shift up.
            let last = LSE_SLOTS[n - 1];
            if self.flow.get(last) & BOS == 0 {
                self.too_many_labels();
                return;
            }
        }
        for slot in &LSE_SLOTS[1..n] {
            self.wc.set(*slot, slot_ones(*slot));
        }
        pop_lse(&mut self.flow, n, ethertype);
        if !is_mpls(ethertype) {
            self.was_mpls = true;
        }
    }

    /// A push or pop the flow's three entries cannot express: as in OVS
    /// (its "too many MPLS labels" error), the rule counts the packet and
    /// the packet is dropped.
    fn too_many_labels(&mut self) {
        self.note(NodeKind::Warn, |_| "Too many MPLS labels".into());
        self.out.clear();
        self.exit = true;
    }

    /// `set_mpls_ttl`; false when the packet is not MPLS, which ends the
    /// actions (as in OVS).
    pub(super) fn set_mpls_ttl(&mut self, ttl: u8) -> bool {
        if !is_mpls(self.flow.get(l::ETH_TYPE) as u16) {
            return false;
        }
        self.wc.set(l::MPLS_LSE, self.wc.get(l::MPLS_LSE) | TTL);
        let lse = self.flow.get(l::MPLS_LSE);
        self.flow.set(l::MPLS_LSE, (lse & !TTL) | Value::from(ttl));
        true
    }

    /// `dec_mpls_ttl`: a TTL that would reach zero sends the packet to the
    /// controller with reason "invalid TTL" instead; false when the
    /// actions end (that, or the packet is not MPLS).
    pub(super) fn dec_mpls_ttl(&mut self) -> bool {
        if is_mpls(self.flow.get(l::ETH_TYPE) as u16) {
            self.wc.set(l::MPLS_LSE, self.wc.get(l::MPLS_LSE) | TTL);
            let lse = self.flow.get(l::MPLS_LSE);
            let ttl = lse & TTL;
            if ttl > 1 {
                self.flow.set(l::MPLS_LSE, (lse & !TTL) | (ttl - 1));
                return true;
            }
            self.controller(reason::INVALID_TTL, u16::MAX, 0);
        }
        self.note(NodeKind::Warn, |_| "MPLS decrement TTL exception".into());
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mpls_flow(lses: &[u32]) -> Flow {
        let mut f = Flow::zero();
        f.set(l::ETH_TYPE, Value::from(p::ETH_TYPE_MPLS));
        for (slot, lse) in LSE_SLOTS.iter().zip(lses) {
            f.set(*slot, Value::from(*lse));
        }
        f
    }

    #[test]
    fn labels_are_counted_to_the_bottom_of_stack() {
        let mut wc = Flow::zero();
        assert_eq!(
            count_labels(&mpls_flow(&[0x1000, 0x2100]), Some(&mut wc)),
            2
        );
        assert_eq!(wc.get(l::MPLS_LSE1), BOS);
        assert_eq!(wc.get(l::MPLS_LSE2), 0);
        assert_eq!(count_labels(&mpls_flow(&[1, 2, 3]), None), 3);
        assert_eq!(count_labels(&Flow::zero(), None), 0);
    }

    #[test]
    fn commit_sets_pops_and_pushes_as_ovs() {
        // The top entry changed: one set(mpls).
        let base = mpls_flow(&[0x0001_5140]);
        let flow = mpls_flow(&[0x0002_1140]);
        let (mut b, mut out) = (base.clone(), Vec::new());
        commit_mpls(&flow, &mut b, &mut out);
        assert_eq!(out, vec![DpAction::SetMpls(Lse(0x0002_1140))]);
        // Popped to IPv4.
        let mut ip = Flow::zero();
        ip.set(l::ETH_TYPE, Value::from(p::ETH_TYPE_IP));
        let (mut b, mut out) = (base.clone(), Vec::new());
        commit_mpls(&ip, &mut b, &mut out);
        assert_eq!(out, vec![DpAction::PopMpls(p::ETH_TYPE_IP)]);
        assert_eq!(b.get(l::ETH_TYPE), Value::from(p::ETH_TYPE_IP));
        // Two entries popped to IPv4: the first pop keeps MPLS.
        let two = mpls_flow(&[0x0001_4040, 0x0002_5140]);
        let (mut b, mut out) = (two, Vec::new());
        commit_mpls(&ip, &mut b, &mut out);
        assert_eq!(
            out,
            vec![
                DpAction::PopMpls(p::ETH_TYPE_MPLS),
                DpAction::PopMpls(p::ETH_TYPE_IP)
            ]
        );
        // One pushed onto a stack.
        let pushed = mpls_flow(&[0x0003_4040, 0x0001_5140]);
        let (mut b, mut out) = (base, Vec::new());
        commit_mpls(&pushed, &mut b, &mut out);
        assert_eq!(
            out,
            vec![DpAction::PushMpls(PushMpls {
                lse: Lse(0x0003_4040),
                ethertype: p::ETH_TYPE_MPLS
            })]
        );
        assert_eq!(b, pushed);
    }
}
