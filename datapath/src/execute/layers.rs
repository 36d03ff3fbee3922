//! Where a frame's headers are: what `set`, `ct` and the VLAN actions need
//! to find before they touch the bytes.

use conntrack::wire::{ipv4, ipv6};
use conntrack::L3;

use crate::wire::ethernet::{resolve_ethertype, Frame};
use crate::wire::ethertype;

/// OVS parses at most two VLAN tags, and so do the actions.
pub(crate) const MAX_VLAN_TAGS: usize = 2;

/// The offsets of a frame's network and transport headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layers {
    pub l3_at: usize,
    pub l3: L3,
    /// The transport header's offset and protocol, unless the packet is a
    /// later fragment or its network header is malformed.
    pub l4: Option<(usize, u8)>,
    /// Where the IP datagram ends: the frame's length less any Ethernet
    /// padding after it.
    pub l3_end: usize,
}

impl Layers {
    /// The layers of an IPv4 or IPv6 frame; `None` for anything else or a
    /// network header that does not parse.
    pub fn of(frame: &[u8]) -> Option<Layers> {
        let eth = Frame::new_checked(frame).ok()?;
        let (_, type_at) = eth.tags(MAX_VLAN_TAGS);
        let (dl_type, l3_at) = resolve_ethertype(frame, type_at);
        let l3 = frame.get(l3_at..)?;
        match dl_type {
            ethertype::IPV4 => {
                let ip = ipv4::Packet::new_checked(l3).ok()?;
                let l4 = (ip.frag_offset() == 0).then(|| (l3_at + ip.header_len(), ip.protocol()));
                Some(Layers {
                    l3_at,
                    l3: L3::Ipv4,
                    l4,
                    l3_end: l3_at + usize::from(ip.total_len()),
                })
            }
            ethertype::IPV6 => {
                let ip = ipv6::Packet::new_checked(l3).ok()?;
                let l4 = ip
                    .upper_layer()
                    .ok()
                    .filter(|u| !u.later_fragment)
                    .map(|u| (l3_at + u.offset, u.protocol));
                Some(Layers {
                    l3_at,
                    l3: L3::Ipv6,
                    l4,
                    l3_end: l3_at + ipv6::HEADER_LEN + usize::from(ip.payload_len()),
                })
            }
            _ => None,
        }
    }
}
