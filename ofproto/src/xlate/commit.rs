//! Committing header changes: before the packet leaves the translation's
//! hands (output, ct, recirc, userspace), the differences between the
//! translated flow and the flow the datapath packet has (`base`) become
//! datapath actions: pop/push VLAN, then masked `set`s of Ethernet, IP and
//! transport fields, as OVS's `commit_odp_actions` does. A set carries the
//! megaflow mask of its header's fields as its mask (so fields the flow
//! also matched on are rewritten to the value they already have, which is
//! what OVS prints too).

use conntrack::Masked;
use datapath::action::{EthSet, Ipv4Set, Ipv6Set, PortsSet, PushVlan, SetAction};
use datapath::Action as DpAction;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq as p;
use nxm_fields::Flow;

const VLAN_CFI: u128 = 0x1000;

/// Appends to `out` what turns `base` into `flow`, and updates `base`.
pub fn commit(flow: &Flow, base: &mut Flow, wc: &Flow, out: &mut Vec<DpAction>) {
    commit_vlan(flow, base, out);
    if changed(flow, base, &[l::ETH_SRC, l::ETH_DST]) {
        out.push(DpAction::Set(SetAction::Eth(EthSet {
            src: masked(flow, wc, l::ETH_SRC),
            dst: masked(flow, wc, l::ETH_DST),
        })));
        copy(flow, base, &[l::ETH_SRC, l::ETH_DST]);
    }
    let eth_type = flow.get(l::ETH_TYPE) as u16;
    let v4 = [l::NW_SRC, l::NW_DST, l::NW_TOS, l::NW_TTL];
    let v6 = [
        l::IPV6_SRC,
        l::IPV6_DST,
        l::IPV6_LABEL,
        l::NW_TOS,
        l::NW_TTL,
    ];
    if eth_type == p::ETH_TYPE_IP && changed(flow, base, &v4) {
        out.push(DpAction::Set(SetAction::Ipv4(Ipv4Set {
            src: masked(flow, wc, l::NW_SRC),
            dst: masked(flow, wc, l::NW_DST),
            tos: masked(flow, wc, l::NW_TOS),
            ttl: masked(flow, wc, l::NW_TTL),
        })));
        copy(flow, base, &v4);
    }
    if eth_type == p::ETH_TYPE_IPV6 && changed(flow, base, &v6) {
        out.push(DpAction::Set(SetAction::Ipv6(Ipv6Set {
            src: masked(flow, wc, l::IPV6_SRC),
            dst: masked(flow, wc, l::IPV6_DST),
            label: masked(flow, wc, l::IPV6_LABEL),
            tclass: masked(flow, wc, l::NW_TOS),
            hlimit: masked(flow, wc, l::NW_TTL),
        })));
        copy(flow, base, &v6);
    }
    let is_ip = matches!(eth_type, p::ETH_TYPE_IP | p::ETH_TYPE_IPV6);
    let ports = [l::TP_SRC, l::TP_DST];
    if is_ip && changed(flow, base, &ports) {
        let set = PortsSet {
            src: masked(flow, wc, l::TP_SRC),
            dst: masked(flow, wc, l::TP_DST),
        };
        match flow.get(l::NW_PROTO) as u8 {
            p::IPPROTO_TCP => out.push(DpAction::Set(SetAction::Tcp(set))),
            p::IPPROTO_UDP => out.push(DpAction::Set(SetAction::Udp(set))),
            // No datapath set for other transports (SCTP, ICMP type/code).
            _ => {}
        }
        copy(flow, base, &ports);
    }
}

/// A tag that changed is popped and the new one pushed, as OVS does for
/// a datapath without a "set VLAN" action.
fn commit_vlan(flow: &Flow, base: &mut Flow, out: &mut Vec<DpAction>) {
    let (want, have) = (flow.get(l::VLAN_TCI), base.get(l::VLAN_TCI));
    if want == have {
        return;
    }
    if have & VLAN_CFI != 0 {
        out.push(DpAction::PopVlan);
    }
    if want & VLAN_CFI != 0 {
        let tci = want as u16;
        out.push(DpAction::PushVlan(PushVlan {
            tci,
            ..PushVlan::new(0, 0)
        }));
    }
    base.set(l::VLAN_TCI, want);
}

fn changed(flow: &Flow, base: &Flow, slots: &[Slot]) -> bool {
    slots.iter().any(|&s| flow.get(s) != base.get(s))
}

fn copy(flow: &Flow, base: &mut Flow, slots: &[Slot]) {
    for &s in slots {
        base.set(s, flow.get(s));
    }
}

/// The slot's value under the megaflow mask, narrowed to the set's type
/// (slots are never wider than the type they are read as).
fn masked<T: TryFrom<u128> + Default>(flow: &Flow, wc: &Flow, slot: Slot) -> Masked<T> {
    let mask = wc.get(slot);
    Masked {
        value: T::try_from(flow.get(slot) & mask).unwrap_or_default(),
        mask: T::try_from(mask).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_headers_commit_nothing() {
        let mut flow = Flow::zero();
        flow.set(l::ETH_TYPE, 0x0800);
        let mut base = flow.clone();
        let mut out = Vec::new();
        commit(&flow, &mut base, &Flow::all_ones(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_rewritten_address_becomes_a_masked_set() {
        let mut flow = Flow::zero();
        flow.set(l::ETH_TYPE, 0x0800);
        let mut base = flow.clone();
        flow.set(l::NW_DST, 0x0a00_0002);
        let mut wc = Flow::zero();
        wc.set(l::NW_DST, 0xffff_ffff);
        let mut out = Vec::new();
        commit(&flow, &mut base, &wc, &mut out);
        let text: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["set(ipv4(dst=10.0.0.2))"]);
        assert_eq!(base, flow);
    }

    #[test]
    fn a_new_vlan_tag_is_pushed_and_a_changed_one_replaced() {
        let mut flow = Flow::zero();
        let mut base = flow.clone();
        flow.set(l::VLAN_TCI, 0x1005);
        let mut out = Vec::new();
        commit(&flow, &mut base, &Flow::zero(), &mut out);
        assert_eq!(out, [DpAction::PushVlan(PushVlan::new(5, 0))]);
        flow.set(l::VLAN_TCI, 0x1006);
        out.clear();
        commit(&flow, &mut base, &Flow::zero(), &mut out);
        assert_eq!(
            out,
            [DpAction::PopVlan, DpAction::PushVlan(PushVlan::new(6, 0))]
        );
    }
}
