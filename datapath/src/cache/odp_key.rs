//! A megaflow's key and mask printed in OVS's ODP key syntax, as
//! `ovs-appctl dpctl/dump-flows` prints them (OVS 3.1, not verbose):
//! attributes in datapath order, each with only the fields its mask
//! covers, a full mask left out, a partial one as `value/mask`; the key
//! holds the values of the packet that installed the megaflow.

use std::net::{Ipv4Addr, Ipv6Addr};

use nxm_fields::flow::slot_ones;
use nxm_fields::format::{
    format_ethernet, format_flags_masked, CHex, CT_STATE_FLAGS, FRAG_ANY, FRAG_LATER, TCP_FLAGS,
};
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq::{ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_RARP};
use nxm_fields::registry::VLAN_CFI;
use nxm_fields::{Flow, Value};

use conntrack::wire::ip_proto;

const IPPROTO_SCTP: Value = 132;
const VLAN_VID_MASK: Value = 0x0fff;
const VLAN_PCP_SHIFT: u32 = 13;

/// One `name(field=value,...)` attribute under construction.
struct Attr<'a> {
    key: &'a Flow,
    mask: &'a Flow,
    fields: Vec<String>,
}

impl<'a> Attr<'a> {
    fn new(key: &'a Flow, mask: &'a Flow) -> Self {
        Attr {
            key,
            mask,
            fields: Vec::new(),
        }
    }

    /// Adds `name=value[/mask]` if the mask of `slot` (within `bits`) is
    /// not zero; `show` prints the value and a partial mask.
    fn field(&mut self, name: &str, slot: Slot, bits: Value, show: impl Fn(Value) -> String) {
        let mask = self.mask.get(slot) & bits;
        if mask == 0 {
            return;
        }
        let value = self.key.get(slot) & bits;
        if mask == bits {
            self.fields.push(format!("{name}={}", show(value)));
        } else {
            self.fields
                .push(format!("{name}={}/{}", show(value), show(mask)));
        }
    }

    /// A decimal field whose partial mask prints in hex.
    fn decimal(&mut self, name: &str, slot: Slot) {
        let mask = self.mask.get(slot);
        if mask == 0 {
            return;
        }
        let value = self.key.get(slot);
        if mask == slot_ones(slot) {
            self.fields.push(format!("{name}={value}"));
        } else {
            self.fields.push(format!("{name}={value}/{}", CHex(mask)));
        }
    }

    fn hex(&mut self, name: &str, slot: Slot) {
        self.field(name, slot, slot_ones(slot), |v| CHex(v).to_string());
    }

    fn ipv4(&mut self, name: &str, slot: Slot) {
        self.field(name, slot, slot_ones(slot), |v| {
            Ipv4Addr::from(v as u32).to_string()
        });
    }

    fn ipv6(&mut self, name: &str, slot: Slot) {
        self.field(name, slot, slot_ones(slot), |v| {
            Ipv6Addr::from(v).to_string()
        });
    }

    fn mac(&mut self, name: &str, slot: Slot) {
        self.field(name, slot, slot_ones(slot), format_ethernet);
    }

    /// `frag=no|first|later`, from the two `nw_frag` bits.
    fn frag(&mut self) {
        if self.mask.get(l::NW_FRAG) == 0 {
            return;
        }
        let v = self.key.get(l::NW_FRAG) & self.mask.get(l::NW_FRAG);
        let text = if v & FRAG_LATER != 0 {
            "later"
        } else if v & FRAG_ANY != 0 {
            "first"
        } else {
            "no"
        };
        self.fields.push(format!("frag={text}"));
    }

    /// Appends `name(fields)` to `out` if any field was added.
    fn finish(self, name: &str, out: &mut Vec<String>) {
        if !self.fields.is_empty() {
            out.push(format!("{name}({})", self.fields.join(",")));
        }
    }
}

/// The masked key, as `dpctl/dump-flows` prints it before the stats.
pub fn format_key(key: &Flow, mask: &Flow) -> String {
    let mut out = Vec::new();
    let masked = |slot: Slot| mask.get(slot);
    let exact = |slot: Slot, show: &dyn Fn(Value) -> String| {
        let (v, m) = (key.get(slot), mask.get(slot));
        if m == slot_ones(slot) {
            show(v)
        } else {
            format!("{}/{}", show(v & m), CHex(m))
        }
    };
    if masked(l::SKB_PRIORITY) != 0 {
        out.push(format!(
            "skb_priority({})",
            exact(l::SKB_PRIORITY, &|v| CHex(v).to_string())
        ));
    }
    if masked(l::CT_STATE) != 0 {
        let flags = format_flags_masked(
            CT_STATE_FLAGS,
            key.get(l::CT_STATE),
            masked(l::CT_STATE),
            Value::MAX,
        );
        out.push(format!("ct_state({flags})"));
    }
    for (name, slot) in [
        ("ct_zone", l::CT_ZONE),
        ("ct_mark", l::CT_MARK),
        ("ct_label", l::CT_LABEL),
    ] {
        if masked(slot) != 0 {
            out.push(format!("{name}({})", exact(slot, &|v| CHex(v).to_string())));
        }
    }
    ct_tuple(key, mask, &mut out);
    // recirc_id is always exact in a megaflow; OVS prints it as `%#x`.
    out.push(format!("recirc_id({})", CHex(key.get(l::RECIRC_ID))));
    // The packet's whole hash, then the bits matched (OVS 3.1).
    if masked(l::DP_HASH) != 0 {
        let (v, m) = (key.get(l::DP_HASH), masked(l::DP_HASH));
        if m == slot_ones(l::DP_HASH) {
            out.push(format!("dp_hash({})", CHex(v)));
        } else {
            out.push(format!("dp_hash({}/{})", CHex(v), CHex(m)));
        }
    }
    if masked(l::IN_PORT) != 0 {
        out.push(format!(
            "in_port({})",
            exact(l::IN_PORT, &|v| v.to_string())
        ));
    }
    out.push("packet_type(ns=0,id=0)".to_string());
    let mut eth = Attr::new(key, mask);
    eth.mac("src", l::ETH_SRC);
    eth.mac("dst", l::ETH_DST);
    eth.finish("eth", &mut out);
    tagged_payload(key, mask, &l::VLAN_TAGS, &mut out);
    out.join(",")
}

/// The VLAN tags the megaflow keys, outermost first, each as
/// `eth_type(TPID),vlan(...),encap(...)` around what follows it, then the
/// payload. A tag is keyed when its TPID or its present bit is matched.
fn tagged_payload(key: &Flow, mask: &Flow, tags: &[(Slot, Slot)], out: &mut Vec<String>) {
    let Some((&tag @ (tci, tpid), inner)) = tags.split_first() else {
        return l2_payload(key, mask, out);
    };
    let keyed = mask.get(tpid) != 0 || mask.get(tci) & VLAN_CFI != 0;
    if !(keyed && key.get(tci) & VLAN_CFI != 0) {
        return l2_payload(key, mask, out);
    }
    out.push(format!("eth_type({:#06x})", key.vlan_tpid(tag)));
    let mut vlan = Attr::new(key, mask);
    vlan.field("vid", tci, VLAN_VID_MASK, |v| v.to_string());
    vlan.field("pcp", tci, 7 << VLAN_PCP_SHIFT, |v| {
        (v >> VLAN_PCP_SHIFT).to_string()
    });
    vlan.finish("vlan", out);
    let mut encap = Vec::new();
    tagged_payload(key, mask, inner, &mut encap);
    out.push(format!("encap({})", encap.join(",")));
}

/// `ct_tuple4(...)` or `ct_tuple6(...)`, the original direction's tuple.
fn ct_tuple(key: &Flow, mask: &Flow, out: &mut Vec<String>) {
    let v6 = mask.get(l::CT_IPV6_SRC) != 0 || mask.get(l::CT_IPV6_DST) != 0;
    let mut t = Attr::new(key, mask);
    if v6 {
        t.ipv6("src", l::CT_IPV6_SRC);
        t.ipv6("dst", l::CT_IPV6_DST);
    } else {
        t.ipv4("src", l::CT_NW_SRC);
        t.ipv4("dst", l::CT_NW_DST);
    }
    t.decimal("proto", l::CT_NW_PROTO);
    t.decimal("tp_src", l::CT_TP_SRC);
    t.decimal("tp_dst", l::CT_TP_DST);
    t.finish(if v6 { "ct_tuple6" } else { "ct_tuple4" }, out);
}

/// `eth_type(...)` and what follows it.
fn l2_payload(key: &Flow, mask: &Flow, out: &mut Vec<String>) {
    if mask.get(l::ETH_TYPE) == 0 {
        return;
    }
    let dl_type = key.get(l::ETH_TYPE) as u16;
    out.push(format!("eth_type({dl_type:#06x})"));
    match dl_type {
        ETH_TYPE_IP | ETH_TYPE_IPV6 => ip(key, mask, dl_type == ETH_TYPE_IPV6, out),
        ETH_TYPE_ARP | ETH_TYPE_RARP => {
            let mut arp = Attr::new(key, mask);
            arp.ipv4("sip", l::NW_SRC);
            arp.ipv4("tip", l::NW_DST);
            arp.decimal("op", l::NW_PROTO);
            arp.mac("sha", l::ARP_SHA);
            arp.mac("tha", l::ARP_THA);
            arp.finish("arp", out);
        }
        _ => {}
    }
}

fn ip(key: &Flow, mask: &Flow, v6: bool, out: &mut Vec<String>) {
    let mut ip = Attr::new(key, mask);
    if v6 {
        ip.ipv6("src", l::IPV6_SRC);
        ip.ipv6("dst", l::IPV6_DST);
        ip.hex("label", l::IPV6_LABEL);
        ip.decimal("proto", l::NW_PROTO);
        ip.hex("tclass", l::NW_TOS);
        ip.decimal("hlimit", l::NW_TTL);
    } else {
        ip.ipv4("src", l::NW_SRC);
        ip.ipv4("dst", l::NW_DST);
        ip.decimal("proto", l::NW_PROTO);
        ip.hex("tos", l::NW_TOS);
        ip.decimal("ttl", l::NW_TTL);
    }
    ip.frag();
    ip.finish(if v6 { "ipv6" } else { "ipv4" }, out);
    if mask.get(l::NW_PROTO) == 0 || key.get(l::NW_FRAG) & FRAG_LATER != 0 {
        return;
    }
    let proto = key.get(l::NW_PROTO);
    let (name, src, dst) = match proto as u8 {
        ip_proto::TCP => ("tcp", "src", "dst"),
        ip_proto::UDP => ("udp", "src", "dst"),
        _ if proto == IPPROTO_SCTP => ("sctp", "src", "dst"),
        ip_proto::ICMP if !v6 => ("icmp", "type", "code"),
        ip_proto::ICMPV6 if v6 => ("icmpv6", "type", "code"),
        _ => return,
    };
    let mut l4 = Attr::new(key, mask);
    l4.decimal(src, l::TP_SRC);
    l4.decimal(dst, l::TP_DST);
    l4.finish(name, out);
    if proto as u8 == ip_proto::TCP && mask.get(l::TCP_FLAGS) != 0 {
        let flags = format_flags_masked(
            TCP_FLAGS,
            key.get(l::TCP_FLAGS),
            mask.get(l::TCP_FLAGS),
            0x0fff,
        );
        out.push(format!("tcp_flags({flags})"));
    }
    if proto as u8 == ip_proto::ICMPV6 && v6 {
        let mut nd = Attr::new(key, mask);
        nd.ipv6("target", l::ND_TARGET);
        nd.mac("sll", l::ARP_SHA);
        nd.mac("tll", l::ARP_THA);
        nd.finish("nd", out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(mask: &mut Flow, slots: &[Slot]) {
        for &s in slots {
            mask.set(s, slot_ones(s));
        }
    }

    fn tcp_packet() -> Flow {
        let mut f = Flow::zero();
        f.set(l::IN_PORT, 1);
        f.set(l::ETH_SRC, 0x5054_0000_0001);
        f.set(l::ETH_DST, 0x5054_0000_0002);
        f.set(l::ETH_TYPE, 0x0800);
        f.set(l::NW_SRC, 0x0a01_0101);
        f.set(l::NW_DST, 0x0a01_0102);
        f.set(l::NW_PROTO, 6);
        f.set(l::NW_TTL, 64);
        f.set(l::TP_SRC, 1234);
        f.set(l::TP_DST, 80);
        f.set(l::TCP_FLAGS, 2);
        f
    }

    // Expectations from OVS 3.1 `dpctl/dump-flows` after the same packets
    // went through the same OpenFlow tables on a dummy-port bridge.
    #[test]
    fn the_first_pass_of_a_ct_pipeline_prints_as_ovs() {
        let key = tcp_packet();
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[l::RECIRC_ID, l::IN_PORT, l::ETH_TYPE, l::NW_FRAG],
        );
        mask.set(l::CT_STATE, 0x20);
        assert_eq!(
            format_key(&key, &mask),
            "ct_state(-trk),recirc_id(0),in_port(1),packet_type(ns=0,id=0),\
             eth_type(0x0800),ipv4(frag=no)"
        );
    }

    // A select group's second pass in OVS 3.1: the whole hash, then the
    // bits of it the group's table reads.
    #[test]
    fn a_masked_dp_hash_prints_the_whole_hash_and_its_mask() {
        let mut key = tcp_packet();
        key.set(l::RECIRC_ID, 1);
        key.set(l::DP_HASH, 0x2b97_4642);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[l::RECIRC_ID, l::IN_PORT, l::ETH_TYPE, l::NW_FRAG],
        );
        mask.set(l::DP_HASH, 0xf);
        assert_eq!(
            format_key(&key, &mask),
            "recirc_id(0x1),dp_hash(0x2b974642/0xf),in_port(1),packet_type(ns=0,id=0),\
             eth_type(0x0800),ipv4(frag=no)"
        );
    }

    // A set_queue's megaflows in OVS 3.1: the priority first, in hex.
    #[test]
    fn a_matched_skb_priority_prints_first() {
        let mut key = tcp_packet();
        key.set(l::SKB_PRIORITY, 9);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[l::SKB_PRIORITY, l::RECIRC_ID, l::IN_PORT, l::ETH_TYPE],
        );
        assert_eq!(
            format_key(&key, &mask),
            "skb_priority(0x9),recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800)"
        );
        key.set(l::SKB_PRIORITY, 0);
        assert!(format_key(&key, &mask).starts_with("skb_priority(0),recirc_id(0),"));
    }

    #[test]
    fn after_recirculation_ct_fields_and_partial_masks_print_as_ovs() {
        let mut key = tcp_packet();
        key.set(l::RECIRC_ID, 1);
        key.set(l::CT_STATE, 0x21);
        key.set(l::CT_ZONE, 5);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::NW_FRAG,
                l::NW_PROTO,
                l::CT_MARK,
                l::CT_LABEL,
            ],
        );
        mask.set(l::CT_STATE, 0x23);
        mask.set(l::NW_SRC, 0xffff_ff00);
        mask.set(l::TP_DST, 0xffff);
        assert_eq!(
            format_key(&key, &mask),
            "ct_state(+new-est+trk),ct_mark(0),ct_label(0),recirc_id(0x1),in_port(1),\
             packet_type(ns=0,id=0),eth_type(0x0800),\
             ipv4(src=10.1.1.1/255.255.255.0,proto=6,frag=no),tcp(dst=80)"
        );
    }

    #[test]
    fn ct_zone_and_a_partial_ct_mark_print_in_hex() {
        let mut key = tcp_packet();
        key.set(l::RECIRC_ID, 4);
        key.set(l::CT_ZONE, 5);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::NW_FRAG,
                l::CT_ZONE,
            ],
        );
        mask.set(l::CT_MARK, 3);
        assert_eq!(
            format_key(&key, &mask),
            "ct_zone(0x5),ct_mark(0/0x3),recirc_id(0x4),in_port(1),packet_type(ns=0,id=0),\
             eth_type(0x0800),ipv4(frag=no)"
        );
    }

    #[test]
    fn eth_masks_tcp_flags_and_port_masks_print_as_ovs() {
        let key = tcp_packet();
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::NW_FRAG,
                l::NW_PROTO,
                l::ETH_SRC,
            ],
        );
        mask.set(l::CT_STATE, 0x20);
        mask.set(l::ETH_DST, 0xffff_0000_0000);
        mask.set(l::TP_SRC, 0xff00);
        mask.set(l::TCP_FLAGS, 0x002);
        assert_eq!(
            format_key(&key, &mask),
            "ct_state(-trk),recirc_id(0),in_port(1),packet_type(ns=0,id=0),\
             eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02/ff:ff:00:00:00:00),\
             eth_type(0x0800),ipv4(proto=6,frag=no),tcp(src=1234/0xff00),tcp_flags(+syn)"
        );
    }

    #[test]
    fn qinq_tags_print_their_tpids_as_ovs() {
        // OVS 3.1 (vlan-limit 1), an 802.1ad tag over an 802.1Q one and
        // over IPv4, as its dpif_netdev logged the megaflows.
        let mut key = Flow::zero();
        key.set(l::IN_PORT, 2);
        key.set(l::VLAN_TCI, 0x100a);
        key.set(l::VLAN_TPID, 0x88a8);
        key.set(l::ETH_TYPE, 0x8100);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::VLAN_TCI,
                l::VLAN_TPID,
            ],
        );
        assert_eq!(
            format_key(&key, &mask),
            "recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth_type(0x88a8),\
             vlan(vid=10,pcp=0),encap(eth_type(0x8100))"
        );
        key.set(l::ETH_TYPE, 0x0800);
        exact(&mut mask, &[l::NW_FRAG]);
        assert_eq!(
            format_key(&key, &mask),
            "recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth_type(0x88a8),\
             vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(frag=no))"
        );
        // Two tags keyed nest the same way.
        key.set(l::VLAN_TCI1, 0x1014);
        key.set(l::VLAN_TPID1, 0x8100);
        mask.set(l::VLAN_TCI1, 0x1fff);
        mask.set(l::VLAN_TPID1, 0xffff);
        assert_eq!(
            format_key(&key, &mask),
            "recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth_type(0x88a8),\
             vlan(vid=10,pcp=0),encap(eth_type(0x8100),vlan(vid=20),\
             encap(eth_type(0x0800),ipv4(frag=no)))"
        );
    }

    #[test]
    fn vlan_arp_and_ct_tuple6_print_as_ovs() {
        let mut key = tcp_packet();
        key.set(l::VLAN_TCI, 0x5007);
        key.set(l::NW_PROTO, 17);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::NW_FRAG,
                l::NW_PROTO,
            ],
        );
        mask.set(l::CT_STATE, 0x20);
        mask.set(l::VLAN_TCI, 0xffff);
        assert_eq!(
            format_key(&key, &mask),
            "ct_state(-trk),recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x8100),\
             vlan(vid=7,pcp=2),encap(eth_type(0x0800),ipv4(proto=17,frag=no))"
        );

        let mut arp = Flow::zero();
        arp.set(l::IN_PORT, 1);
        arp.set(l::ETH_TYPE, 0x0806);
        arp.set(l::NW_SRC, 0x0a01_0101);
        arp.set(l::NW_DST, 0x0a01_0102);
        arp.set(l::NW_PROTO, 1);
        arp.set(l::ARP_SHA, 0x5054_0000_0001);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::NW_DST,
                l::NW_PROTO,
                l::ARP_SHA,
            ],
        );
        assert_eq!(
            format_key(&arp, &mask),
            "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0806),\
             arp(tip=10.1.1.2,op=1,sha=50:54:00:00:00:01)"
        );

        let mut v6 = Flow::zero();
        v6.set(l::RECIRC_ID, 2);
        v6.set(l::IN_PORT, 1);
        v6.set(l::ETH_TYPE, 0x86dd);
        v6.set(l::NW_PROTO, 6);
        v6.set(l::CT_STATE, 0x21);
        v6.set(l::CT_IPV6_SRC, 0xfe80_0000_0000_0000_0000_0000_0000_0001);
        let mut mask = Flow::zero();
        exact(
            &mut mask,
            &[
                l::RECIRC_ID,
                l::IN_PORT,
                l::ETH_TYPE,
                l::NW_FRAG,
                l::NW_PROTO,
                l::CT_IPV6_SRC,
            ],
        );
        mask.set(l::CT_STATE, 0x21);
        mask.set(l::CT_LABEL, 1);
        assert_eq!(
            format_key(&v6, &mask),
            "ct_state(+new+trk),ct_label(0/0x1),ct_tuple6(src=fe80::1),recirc_id(0x2),in_port(1),\
             packet_type(ns=0,id=0),eth_type(0x86dd),ipv6(proto=6,frag=no)"
        );
    }
}
