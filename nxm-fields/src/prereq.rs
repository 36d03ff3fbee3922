//! Field prerequisites, as ovs-fields(7) lists them: what a match must
//! already say before a field may appear in it.

use crate::layout;
use crate::Match;

pub const ETH_TYPE_IP: u16 = 0x0800;
pub const ETH_TYPE_ARP: u16 = 0x0806;
pub const ETH_TYPE_RARP: u16 = 0x8035;
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
pub const ETH_TYPE_MPLS: u16 = 0x8847;
pub const ETH_TYPE_MPLS_MCAST: u16 = 0x8848;
pub const ETH_TYPE_NSH: u16 = 0x894f;

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_IGMP: u8 = 2;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_ICMPV6: u8 = 58;
pub const IPPROTO_SCTP: u8 = 132;

pub const ND_NEIGHBOR_SOLICIT: u8 = 135;
pub const ND_NEIGHBOR_ADVERT: u8 = 136;

/// ct_state bits that only a valid connection-tracking entry sets.
const CS_VALID_ENTRY: u128 = 0x01 | 0x02 | 0x04 | 0x08 | 0x40 | 0x80;
const CS_INVALID: u128 = 0x10;
const CS_TRACKED: u128 = 0x20;

/// What a field requires of the rest of the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prereq {
    None,
    Ethernet,
    Arp,
    /// A VLAN header is present (the CFI bit of the TCI is matched as 1).
    VlanVid,
    Ipv4,
    Ipv6,
    IpAny,
    Mpls,
    Tcp,
    Udp,
    Sctp,
    Icmpv4,
    Icmpv6,
    /// ICMPv6 neighbour solicitation or advertisement.
    Nd,
    NdSolicit,
    NdAdvert,
    /// A tracked, valid connection: `ct_state` with `+new`, `+est`, `+rel`,
    /// `+rpl`, `+snat` or `+dnat`, or `+trk-inv`.
    Ct,
    Nsh,
}

/// The Ethertype a match's prerequisites see, as OVS derives it from the
/// packet type: the `dl_type` of an Ethernet packet (the default type), the
/// type itself for an Ethertype-named one (`packet_type=(1,0x800)`), none
/// for any other.
pub fn effective_dl_type(f: &crate::Flow) -> u16 {
    let pt = f.get(layout::PACKET_TYPE);
    if pt == crate::matching::PT_ETH {
        f.get(layout::ETH_TYPE) as u16
    } else if pt >> 16 == 1 {
        pt as u16
    } else {
        0
    }
}

impl Prereq {
    /// Whether `m` satisfies this prerequisite (OVS checks the rule's values,
    /// which are zero wherever the rule does not match).
    pub fn is_met(self, m: &Match) -> bool {
        let f = m.flow();
        let dl_type = effective_dl_type(f);
        let proto = f.get(layout::NW_PROTO) as u8;
        let is_ip = dl_type == ETH_TYPE_IP;
        let is_ipv6 = dl_type == ETH_TYPE_IPV6;
        let is_icmpv6 = is_ipv6 && proto == IPPROTO_ICMPV6;
        let icmp_type = f.get(layout::TP_SRC) as u8;
        let icmp_code = f.get(layout::TP_DST);
        let is_nd = is_icmpv6
            && icmp_code == 0
            && (icmp_type == ND_NEIGHBOR_SOLICIT || icmp_type == ND_NEIGHBOR_ADVERT);
        match self {
            Prereq::None | Prereq::Ethernet => true,
            Prereq::Arp => dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP,
            Prereq::VlanVid => f.get(layout::VLAN_TCI) & 0x1000 != 0,
            Prereq::Ipv4 => is_ip,
            Prereq::Ipv6 => is_ipv6,
            Prereq::IpAny => is_ip || is_ipv6,
            Prereq::Mpls => dl_type == ETH_TYPE_MPLS || dl_type == ETH_TYPE_MPLS_MCAST,
            Prereq::Tcp => (is_ip || is_ipv6) && proto == IPPROTO_TCP,
            Prereq::Udp => (is_ip || is_ipv6) && proto == IPPROTO_UDP,
            Prereq::Sctp => (is_ip || is_ipv6) && proto == IPPROTO_SCTP,
            Prereq::Icmpv4 => is_ip && proto == IPPROTO_ICMP,
            Prereq::Icmpv6 => is_icmpv6,
            Prereq::Nd => is_nd,
            Prereq::NdSolicit => is_nd && icmp_type == ND_NEIGHBOR_SOLICIT,
            Prereq::NdAdvert => is_nd && icmp_type == ND_NEIGHBOR_ADVERT,
            Prereq::Ct => {
                let state = f.get(layout::CT_STATE);
                let state_mask = m.mask().get(layout::CT_STATE);
                state & CS_VALID_ENTRY != 0
                    || (state & CS_TRACKED != 0
                        && state_mask & CS_INVALID != 0
                        && state & CS_INVALID == 0)
            }
            // NSH in Ethernet, or NSH as the packet type itself.
            Prereq::Nsh => {
                dl_type == ETH_TYPE_NSH
                    || f.get(layout::PACKET_TYPE) == (1 << 16) | u128::from(ETH_TYPE_NSH)
            }
        }
    }
}
