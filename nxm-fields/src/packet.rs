//! The match that says everything a packet says: what OVS builds to print
//! a packet's flow (`ovs-ofctl parse-pcap`, packet-ins, the `tx` lines of a
//! scenario report). Fields the packet does not have stay wildcarded, so
//! an ARP packet shows no TCP ports; pipeline metadata that is zero (ports,
//! registers, ct fields, marks) is left out to keep the line readable, as
//! OVS's `flow_format` does.

use crate::flow::{Flow, Value};
use crate::format::FRAG_LATER;
use crate::layout::{self as l, Slot};
use crate::prereq::*;

use crate::Match;

/// Slots shown only when nonzero.
const CONTEXT: [Slot; 12] = [
    l::IN_PORT,
    l::SKB_PRIORITY,
    l::PKT_MARK,
    l::RECIRC_ID,
    l::DP_HASH,
    l::CT_STATE,
    l::CT_ZONE,
    l::CT_MARK,
    l::CT_LABEL,
    l::METADATA,
    l::TUN_ID,
    l::TUN_DST,
];

const CFI: Value = crate::registry::VLAN_CFI;
const MPLS_BOS: Value = 0x100;

impl Match {
    /// The match of every field the packet with flow `flow` has.
    pub fn for_packet(flow: &Flow) -> Match {
        let mut m = Match::catch_all();
        let exact = |m: &mut Match, slot: Slot| m.set_slot(slot, flow.get(slot));
        for slot in CONTEXT {
            if !flow.is_zero(slot) {
                exact(&mut m, slot);
            }
        }
        for i in 0..16 {
            if !flow.is_zero(l::reg(i)) {
                exact(&mut m, l::reg(i));
            }
        }
        let dl_type = flow.get(l::ETH_TYPE) as u16;
        if flow.get(l::CT_NW_PROTO) != 0 {
            let addrs = if dl_type == ETH_TYPE_IPV6 {
                [l::CT_IPV6_SRC, l::CT_IPV6_DST]
            } else {
                [l::CT_NW_SRC, l::CT_NW_DST]
            };
            for slot in [l::CT_NW_PROTO, l::CT_TP_SRC, l::CT_TP_DST]
                .into_iter()
                .chain(addrs)
            {
                exact(&mut m, slot);
            }
        }
        m.set_default_packet_type();
        for slot in [l::ETH_DST, l::ETH_SRC, l::ETH_TYPE, l::VLAN_TCI] {
            exact(&mut m, slot);
        }
        if flow.get(l::VLAN_TCI) & CFI != 0 {
            exact(&mut m, l::VLAN_TCI1);
        }
        match dl_type {
            ETH_TYPE_IP | ETH_TYPE_IPV6 => m.add_ip(flow, dl_type),
            ETH_TYPE_ARP | ETH_TYPE_RARP => {
                for slot in [l::NW_SRC, l::NW_DST, l::NW_PROTO, l::ARP_SHA, l::ARP_THA] {
                    exact(&mut m, slot);
                }
            }
            ETH_TYPE_MPLS | ETH_TYPE_MPLS_MCAST => {
                // Every label down to the bottom of the stack.
                for slot in [l::MPLS_LSE, l::MPLS_LSE1, l::MPLS_LSE2] {
                    exact(&mut m, slot);
                    if flow.get(slot) & MPLS_BOS != 0 {
                        break;
                    }
                }
            }
            _ => {}
        }
        m
    }

    fn add_ip(&mut self, flow: &Flow, dl_type: u16) {
        let mut exact = |slot: Slot| self.set_slot(slot, flow.get(slot));
        let addrs: &[Slot] = if dl_type == ETH_TYPE_IP {
            &[l::NW_SRC, l::NW_DST]
        } else {
            &[l::IPV6_SRC, l::IPV6_DST, l::IPV6_LABEL]
        };
        for &slot in addrs
            .iter()
            .chain(&[l::NW_PROTO, l::NW_FRAG, l::NW_TOS, l::NW_TTL])
        {
            exact(slot);
        }
        if flow.get(l::NW_FRAG) & FRAG_LATER != 0 {
            return;
        }
        let proto = flow.get(l::NW_PROTO) as u8;
        let l4: &[Slot] = match proto {
            IPPROTO_TCP => &[l::TP_SRC, l::TP_DST, l::TCP_FLAGS],
            IPPROTO_UDP | IPPROTO_SCTP => &[l::TP_SRC, l::TP_DST],
            IPPROTO_ICMP | IPPROTO_IGMP if dl_type == ETH_TYPE_IP => &[l::TP_SRC, l::TP_DST],
            IPPROTO_ICMPV6 if dl_type == ETH_TYPE_IPV6 && is_nd(flow) => {
                &[l::TP_SRC, l::TP_DST, l::ND_TARGET, l::ARP_SHA, l::ARP_THA]
            }
            IPPROTO_ICMPV6 if dl_type == ETH_TYPE_IPV6 => &[l::TP_SRC, l::TP_DST],
            _ => &[],
        };
        for &slot in l4 {
            exact(slot);
        }
    }
}

/// Whether the packet is a neighbour solicitation or advertisement.
fn is_nd(flow: &Flow) -> bool {
    let ty = flow.get(l::TP_SRC) as u8;
    flow.get(l::TP_DST) == 0 && (ty == ND_NEIGHBOR_SOLICIT || ty == ND_NEIGHBOR_ADVERT)
}

/// A packet's flow printed as OVS prints it (`flow_format`).
pub fn format_packet(flow: &Flow) -> String {
    Match::for_packet(flow).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::slot_ones;

    // Expectations from `ovs-ofctl parse-pcap` 3.1 (in_port OFPP_NONE).
    #[test]
    fn a_tcp_packet_prints_as_ovs_parse_pcap_does() {
        let mut f = Flow::zero();
        f.set(l::IN_PORT, Value::from(crate::port::OFPP_ANY));
        f.set(l::ETH_SRC, 0x5054_0000_0002);
        f.set(l::ETH_DST, 0x5054_0000_0001);
        f.set(l::ETH_TYPE, Value::from(ETH_TYPE_IP));
        f.set(l::NW_SRC, 0x0a01_0102);
        f.set(l::NW_DST, 0x0a01_0101);
        f.set(l::NW_PROTO, 6);
        f.set(l::NW_TTL, 64);
        f.set(l::TP_SRC, 80);
        f.set(l::TP_DST, 1234);
        f.set(l::TCP_FLAGS, 0x12);
        assert_eq!(
            format_packet(&f),
            "tcp,in_port=ANY,vlan_tci=0x0000,dl_src=50:54:00:00:00:02,\
             dl_dst=50:54:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1,nw_tos=0,\
             nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=80,tp_dst=1234,tcp_flags=syn|ack"
        );
    }

    #[test]
    fn one_vlan_tag_shows_the_empty_second_slot() {
        let mut f = Flow::zero();
        f.set(l::VLAN_TCI, 0x1005);
        f.set(l::ETH_TYPE, 0x05ff);
        assert_eq!(
            format_packet(&f),
            "dl_vlan=5,dl_vlan_pcp=0,vlan_tci1=0x0000,dl_src=00:00:00:00:00:00,\
             dl_dst=00:00:00:00:00:00,dl_type=0x05ff"
        );
    }

    #[test]
    fn zero_context_is_left_out_but_set_context_shows() {
        let mut f = Flow::zero();
        f.set(l::reg(3), 7);
        f.set(l::CT_STATE, 0x21);
        let text = format_packet(&f);
        assert!(text.starts_with("ct_state=new|trk,reg3=0x7,"), "{text}");
        assert!(!text.contains("in_port"), "{text}");
    }

    #[test]
    fn slot_ones_is_what_exact_slots_get() {
        let m = Match::for_packet(&Flow::zero());
        assert_eq!(m.mask().get(l::ETH_TYPE), slot_ones(l::ETH_TYPE));
    }
}
