//! Field prerequisites checked against a packet's flow, unwildcarding
//! what the check reads (OVS's `mf_are_prereqs_ok(mf, flow, wc)`), so that
//! a `set_field` that applies only to TCP packets makes the megaflow match
//! the IP protocol. nxm-fields checks the same prerequisites against a
//! rule's match, where no mask needs recording.

use nxm_fields::flow::slot_ones;
use nxm_fields::format::FRAG_LATER;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq::{self as p, Prereq};
use nxm_fields::Flow;

struct Reader<'a> {
    flow: &'a Flow,
    wc: &'a mut Flow,
}

impl Reader<'_> {
    fn get(&mut self, slot: Slot) -> u128 {
        self.wc.set(slot, slot_ones(slot));
        self.flow.get(slot)
    }

    fn eth_type(&mut self) -> u16 {
        self.get(l::ETH_TYPE) as u16
    }

    fn is_ip_any(&mut self) -> bool {
        matches!(self.eth_type(), p::ETH_TYPE_IP | p::ETH_TYPE_IPV6)
    }

    fn ip_proto(&mut self, proto: u8) -> bool {
        self.is_ip_any() && self.get(l::NW_PROTO) as u8 == proto
    }

    /// A transport with ports: a later fragment has no header to read or
    /// write. As in OVS 3.1, the fragment bits are not unwildcarded here
    /// (every IP megaflow matches them anyway).
    fn ports(&mut self, proto: u8) -> bool {
        self.ip_proto(proto) && self.flow.get(l::NW_FRAG) & FRAG_LATER == 0
    }

    fn nd(&mut self, icmp_type: Option<u8>) -> bool {
        if !(self.eth_type() == p::ETH_TYPE_IPV6 && self.ip_proto(p::IPPROTO_ICMPV6)) {
            return false;
        }
        let ty = self.get(l::TP_SRC) as u8;
        let code = self.get(l::TP_DST);
        let nd = ty == p::ND_NEIGHBOR_SOLICIT || ty == p::ND_NEIGHBOR_ADVERT;
        code == 0 && nd && icmp_type.is_none_or(|want| want == ty)
    }
}

/// Whether the packet has what `prereq` asks for.
pub fn prereqs_ok(prereq: Prereq, flow: &Flow, wc: &mut Flow) -> bool {
    let mut r = Reader { flow, wc };
    match prereq {
        Prereq::None | Prereq::Ethernet => true,
        Prereq::Arp => matches!(r.eth_type(), p::ETH_TYPE_ARP | p::ETH_TYPE_RARP),
        Prereq::VlanVid => r.get(l::VLAN_TCI) & 0x1000 != 0,
        Prereq::Ipv4 => r.eth_type() == p::ETH_TYPE_IP,
        Prereq::Ipv6 => r.eth_type() == p::ETH_TYPE_IPV6,
        Prereq::IpAny => r.is_ip_any(),
        Prereq::Mpls => matches!(r.eth_type(), p::ETH_TYPE_MPLS | p::ETH_TYPE_MPLS_MCAST),
        Prereq::Tcp => r.ports(p::IPPROTO_TCP),
        Prereq::Udp => r.ports(p::IPPROTO_UDP),
        Prereq::Sctp => r.ports(p::IPPROTO_SCTP),
        Prereq::Icmpv4 => r.eth_type() == p::ETH_TYPE_IP && r.ip_proto(p::IPPROTO_ICMP),
        Prereq::Icmpv6 => r.eth_type() == p::ETH_TYPE_IPV6 && r.ip_proto(p::IPPROTO_ICMPV6),
        Prereq::Nd => r.nd(None),
        Prereq::NdSolicit => r.nd(Some(p::ND_NEIGHBOR_SOLICIT)),
        Prereq::NdAdvert => r.nd(Some(p::ND_NEIGHBOR_ADVERT)),
        // Only ct(exec(...)) writes ct fields, and it needs no check here.
        Prereq::Ct => true,
        Prereq::Nsh => r.eth_type() == p::ETH_TYPE_NSH,
    }
}
