//! Committing header changes: before the packet leaves the translation's
//! hands (output, ct, recirc, userspace), the differences between the
//! translated flow and the flow the datapath packet has (`base`) become
//! datapath actions: masked `set`s of Ethernet, IP and transport fields,
//! then pop/push VLAN, in the order OVS's `commit_odp_actions` uses. A set's mask is
//! the megaflow mask of the fields that changed (a field the flow also
//! matched on but that kept its value is left out, as OVS 3.1 leaves it
//! out). As in OVS, an IP header is rewritten only when the packet has an
//! IP protocol (which the megaflow then matches); transport ports are
//! rewritten even from zero (a later fragment's ports never change: the
//! actions that write them need a transport header).

use conntrack::Masked;
use datapath::action::{ArpSet, EthSet, IcmpSet, Ipv4Set, Ipv6Set, PortsSet, PushVlan, SetAction};
use datapath::Action as DpAction;
use nxm_fields::flow::slot_ones;
use nxm_fields::format::FRAG_LATER;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq as p;
use nxm_fields::Flow;

use super::mpls::{commit_mpls, is_mpls};

const VLAN_CFI: u128 = 0x1000;

/// Appends to `out` what turns `base` into `flow`, and updates `base`;
/// `wc` gains what the decision read.
pub fn commit(flow: &Flow, base: &mut Flow, wc: &mut Flow, out: &mut Vec<DpAction>) {
    let eth = [l::ETH_SRC, l::ETH_DST];
    if changed(flow, base, &eth) {
        out.push(DpAction::Set(SetAction::Eth(EthSet {
            src: masked(flow, base, wc, l::ETH_SRC),
            dst: masked(flow, base, wc, l::ETH_DST),
        })));
        copy(flow, base, &eth);
    }
    // A pop exposes the header the IP sets rewrite: it goes first.
    let mpls_first =
        is_mpls(base.get(l::ETH_TYPE) as u16) && !is_mpls(flow.get(l::ETH_TYPE) as u16);
    if mpls_first {
        commit_mpls(flow, base, out);
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
    let l3 = match eth_type {
        p::ETH_TYPE_IP => &v4[..],
        p::ETH_TYPE_IPV6 => &v6[..],
        _ => &[],
    };
    if changed(flow, base, l3) {
        // Only a packet with an IP protocol has an IP header to rewrite.
        wc.set(l::NW_PROTO, slot_ones(l::NW_PROTO));
        if flow.get(l::NW_PROTO) != 0 {
            let set = if eth_type == p::ETH_TYPE_IP {
                SetAction::Ipv4(Ipv4Set {
                    src: masked(flow, base, wc, l::NW_SRC),
                    dst: masked(flow, base, wc, l::NW_DST),
                    tos: masked(flow, base, wc, l::NW_TOS),
                    ttl: masked(flow, base, wc, l::NW_TTL),
                })
            } else {
                SetAction::Ipv6(Ipv6Set {
                    src: masked(flow, base, wc, l::IPV6_SRC),
                    dst: masked(flow, base, wc, l::IPV6_DST),
                    label: masked(flow, base, wc, l::IPV6_LABEL),
                    tclass: masked(flow, base, wc, l::NW_TOS),
                    hlimit: masked(flow, base, wc, l::NW_TTL),
                })
            };
            out.push(DpAction::Set(set));
            copy(flow, base, l3);
        }
    }
    let is_ip = matches!(eth_type, p::ETH_TYPE_IP | p::ETH_TYPE_IPV6);
    let ports = [l::TP_SRC, l::TP_DST];
    let proto = flow.get(l::NW_PROTO) as u8;
    let icmp = match (eth_type, proto) {
        (p::ETH_TYPE_IP, p::IPPROTO_ICMP) | (p::ETH_TYPE_IPV6, p::IPPROTO_ICMPV6) => {
            // Type and code are there unless this is a later fragment.
            flow.get(l::NW_FRAG) & FRAG_LATER == 0
        }
        _ => false,
    };
    if icmp && changed(flow, base, &ports) {
        commit_icmp(flow, wc, out, eth_type == p::ETH_TYPE_IP);
        copy(flow, base, &ports);
    }
    if is_ip && !icmp && changed(flow, base, &ports) {
        let set = PortsSet {
            src: masked(flow, base, wc, l::TP_SRC),
            dst: masked(flow, base, wc, l::TP_DST),
        };
        match proto {
            p::IPPROTO_TCP => out.push(DpAction::Set(SetAction::Tcp(set))),
            p::IPPROTO_UDP => out.push(DpAction::Set(SetAction::Udp(set))),
            p::IPPROTO_SCTP => out.push(DpAction::Set(SetAction::Sctp(set))),
            // No ports to rewrite in other transports.
            _ => {}
        }
        copy(flow, base, &ports);
    }
    commit_arp(flow, base, wc, out);
    if !mpls_first {
        commit_mpls(flow, base, out);
    }
    // Last, as in OVS: the sets above rewrite the packet under its tags.
    commit_vlan(flow, base, out);
    // Then the queueing priority (set_queue, pop_queue), whose megaflow
    // bits those actions already matched.
    if changed(flow, base, &[l::SKB_PRIORITY]) {
        out.push(DpAction::SetPriority(flow.get(l::SKB_PRIORITY) as u32));
        copy(flow, base, &[l::SKB_PRIORITY]);
    }
}

/// ICMP type and code (in the port slots' low 8 bits), both set whole
/// as OVS sets them, its megaflow then matching both.
fn commit_icmp(flow: &Flow, wc: &mut Flow, out: &mut Vec<DpAction>, v4: bool) {
    const BYTE: u128 = 0xff;
    let exact = |slot: Slot| Masked {
        value: flow.get(slot) as u8,
        mask: u8::MAX,
    };
    for slot in [l::TP_SRC, l::TP_DST] {
        wc.set(slot, wc.get(slot) | BYTE);
    }
    let set = IcmpSet {
        icmp_type: exact(l::TP_SRC),
        code: exact(l::TP_DST),
    };
    out.push(DpAction::Set(if v4 {
        SetAction::Icmp(set)
    } else {
        SetAction::Icmpv6(set)
    }));
}

/// An ARP (or RARP) packet's addresses and opcode; the opcode lives in
/// nw_proto, as in OVS (which commits only its low 8 bits).
fn commit_arp(flow: &Flow, base: &mut Flow, wc: &mut Flow, out: &mut Vec<DpAction>) {
    let eth_type = flow.get(l::ETH_TYPE) as u16;
    if !matches!(eth_type, p::ETH_TYPE_ARP | p::ETH_TYPE_RARP) {
        return;
    }
    let fields = [l::NW_SRC, l::NW_DST, l::NW_PROTO, l::ARP_SHA, l::ARP_THA];
    if !changed(flow, base, &fields) {
        return;
    }
    let op: Masked<u8> = masked(flow, base, wc, l::NW_PROTO);
    // The whole 16-bit opcode is written when its low byte changes.
    let op_mask = if op.mask == 0 { 0 } else { u16::MAX };
    out.push(DpAction::Set(SetAction::Arp(ArpSet {
        sip: masked(flow, base, wc, l::NW_SRC),
        tip: masked(flow, base, wc, l::NW_DST),
        op: Masked {
            value: u16::from(op.value),
            mask: op_mask,
        },
        sha: masked(flow, base, wc, l::ARP_SHA),
        tha: masked(flow, base, wc, l::ARP_THA),
    })));
    copy(flow, base, &fields);
}

/// The VLAN tags as OVS commits them: the tags (TPID and TCI) both
/// stacks share at the inner end stay, the base's other tags are popped
/// and the flow's other tags pushed (innermost first), as OVS does for a
/// datapath without a "set VLAN" action.
fn commit_vlan(flow: &Flow, base: &mut Flow, out: &mut Vec<DpAction>) {
    // Outermost first.
    let tags = |f: &Flow| -> Vec<(u128, u16)> {
        l::VLAN_TAGS
            .iter()
            .map(|&tag| (f.get(tag.0), f.vlan_tpid(tag)))
            .take_while(|(tci, _)| tci & VLAN_CFI != 0)
            .collect()
    };
    let (mut have, mut want) = (tags(base), tags(flow));
    while have.last().is_some() && have.last() == want.last() {
        have.pop();
        want.pop();
    }
    out.extend(have.iter().map(|_| DpAction::PopVlan));
    for &(tci, tpid) in want.iter().rev() {
        out.push(DpAction::PushVlan(PushVlan {
            tpid,
            tci: tci as u16,
        }));
    }
    for (tci, tpid) in l::VLAN_TAGS {
        copy(flow, base, &[tci, tpid]);
    }
}

fn changed(flow: &Flow, base: &Flow, slots: &[Slot]) -> bool {
    slots.iter().any(|&s| flow.get(s) != base.get(s))
}

fn copy(flow: &Flow, base: &mut Flow, slots: &[Slot]) {
    for &s in slots {
        base.set(s, flow.get(s));
    }
}

/// The slot's value under the megaflow mask if it changed (nothing
/// otherwise), narrowed to the set's type (slots are never wider than the
/// type they are read as).
fn masked<T: TryFrom<u128> + Default>(
    flow: &Flow,
    base: &Flow,
    wc: &Flow,
    slot: Slot,
) -> Masked<T> {
    let mask = if flow.get(slot) == base.get(slot) {
        0
    } else {
        wc.get(slot)
    };
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
        commit(&flow, &mut base, &mut Flow::all_ones(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_rewritten_address_becomes_a_masked_set() {
        let mut flow = Flow::zero();
        flow.set(l::ETH_TYPE, 0x0800);
        flow.set(l::NW_PROTO, 17);
        flow.set(l::NW_SRC, 0x0a00_0001);
        let mut base = flow.clone();
        flow.set(l::NW_DST, 0x0a00_0002);
        // The source was matched too, but kept its value: OVS 3.1 sets
        // the destination only.
        let mut wc = Flow::zero();
        wc.set(l::NW_DST, 0xffff_ffff);
        wc.set(l::NW_SRC, 0xffff_ffff);
        let mut out = Vec::new();
        commit(&flow, &mut base, &mut wc, &mut out);
        let text: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["set(ipv4(dst=10.0.0.2))"]);
        assert_eq!(base, flow);
        assert_eq!(wc.get(l::NW_PROTO), 0xff);
    }

    // OVS 3.1 leaves an IP packet without a protocol (a traced `ip` flow)
    // as it is, but rewrites ports that were both zero
    // (`trace in_port=1,tcp,tcp_src=0,tcp_dst=0` through
    // `set_field:9->tcp_dst` gives `set(tcp(dst=9))`).
    #[test]
    fn no_ip_protocol_means_no_set_but_zero_ports_are_rewritten() {
        let mut flow = Flow::zero();
        flow.set(l::ETH_TYPE, 0x0800);
        let mut base = flow.clone();
        flow.set(l::NW_DST, 0x0a00_0002);
        let mut out = Vec::new();
        commit(&flow, &mut base, &mut Flow::all_ones(), &mut out);
        assert!(out.is_empty());
        let mut flow = Flow::zero();
        flow.set(l::ETH_TYPE, 0x0800);
        flow.set(l::NW_PROTO, 6);
        let mut base = flow.clone();
        flow.set(l::TP_DST, 9);
        commit(&flow, &mut base, &mut Flow::all_ones(), &mut out);
        let text: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["set(tcp(dst=9))"]);
    }

    // OVS 3.1: `set_field:0x1200/0xff00->sctp_src` on an SCTP packet from
    // port 1000 is `set(sctp(src=4608/0xff00))`.
    #[test]
    fn sctp_ports_become_an_sctp_set() {
        let mut flow = Flow::zero();
        flow.set(l::ETH_TYPE, 0x86dd);
        flow.set(l::NW_PROTO, u128::from(p::IPPROTO_SCTP));
        flow.set(l::TP_SRC, 1000);
        let mut base = flow.clone();
        flow.set(l::TP_SRC, 0x1200 | (1000 & 0xff));
        let mut wc = Flow::zero();
        wc.set(l::TP_SRC, 0xff00);
        let mut out = Vec::new();
        commit(&flow, &mut base, &mut wc, &mut out);
        let text: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["set(sctp(src=4608/0xff00))"]);
        assert_eq!(base, flow);
    }

    #[test]
    fn a_new_vlan_tag_is_pushed_and_a_changed_one_replaced() {
        let mut flow = Flow::zero();
        let mut base = flow.clone();
        flow.set(l::VLAN_TCI, 0x1005);
        let mut out = Vec::new();
        commit(&flow, &mut base, &mut Flow::zero(), &mut out);
        assert_eq!(out, [DpAction::PushVlan(PushVlan::new(5, 0))]);
        flow.set(l::VLAN_TCI, 0x1006);
        out.clear();
        commit(&flow, &mut base, &mut Flow::zero(), &mut out);
        assert_eq!(
            out,
            [DpAction::PopVlan, DpAction::PushVlan(PushVlan::new(6, 0))]
        );
    }

    // OVS 3.1's trace: a second tag pushed with the same VID as the first
    // is `push_vlan(vid=4,pcp=0)`, the inner tag staying as it is.
    // OVS 3.1: an 802.1Q tag replaced by an 802.1ad one with the same TCI
    // is popped and pushed again; a rewritten 802.1ad tag keeps its TPID.
    #[test]
    fn tags_differing_in_tpid_only_are_replaced() {
        let mut flow = Flow::zero();
        flow.set(l::VLAN_TCI, 0x101e);
        flow.set(l::VLAN_TPID, 0x8100);
        let mut base = flow.clone();
        flow.set(l::VLAN_TPID, 0x88a8);
        let mut out = Vec::new();
        commit(&flow, &mut base, &mut Flow::zero(), &mut out);
        let text: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["pop_vlan", "push_vlan(tpid=0x88a8,vid=30,pcp=0)"]);
        assert_eq!(base, flow);
        flow.set(l::VLAN_TCI, 0x301e);
        out.clear();
        commit(&flow, &mut base, &mut Flow::zero(), &mut out);
        let text: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["pop_vlan", "push_vlan(tpid=0x88a8,vid=30,pcp=1)"]);
        // A traced flow records no TPID: its tag is 802.1Q's.
        let mut traced = Flow::zero();
        traced.set(l::VLAN_TCI, 0x101e);
        let mut base = traced.clone();
        traced.set(l::VLAN_TPID, 0x8100);
        out.clear();
        commit(&traced, &mut base, &mut Flow::zero(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_tag_pushed_over_another_is_pushed() {
        let mut flow = Flow::zero();
        flow.set(l::VLAN_TCI, 0x1004);
        let mut base = flow.clone();
        flow.set(l::VLAN_TCI1, 0x1004);
        let mut out = Vec::new();
        commit(&flow, &mut base, &mut Flow::zero(), &mut out);
        assert_eq!(out, [DpAction::PushVlan(PushVlan::new(4, 0))]);
        assert_eq!(base, flow);
    }
}
