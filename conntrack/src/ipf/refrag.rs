//! The fragments of a reassembled datagram, given back on output: as they
//! came, or carrying what the tracker rewrote in the datagram.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::list::Held;
use crate::key::Family;
use crate::wire::{ipv4, ipv6};

/// The original fragments of a datagram the reassembler made whole, in
/// offset order (as OVS sends them on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragments {
    family: Family,
    frags: Vec<Held>,
}

/// Why [`Fragments::refragment`] cannot cut a packet as the fragments
/// were cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefragError {
    /// The packet is not the datagram's family, or its header is bad.
    #[error("not a datagram of the fragments' family")]
    Family,
    /// The packet's data is not as long as the fragments' together (a
    /// rewrite changed its length).
    #[error("datagram length differs from its fragments'")]
    Length,
}

impl Fragments {
    pub(crate) fn new(family: Family, frags: Vec<Held>) -> Self {
        Fragments { family, frags }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    pub fn len(&self) -> usize {
        self.frags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frags.is_empty()
    }

    /// The fragments unchanged, each behind its own link-layer header.
    pub fn into_packets(self) -> Vec<Vec<u8>> {
        self.frags.iter().map(|h| h.frame(&h.bytes)).collect()
    }

    /// The port each fragment came in on, in [`Fragments::into_packets`]'
    /// and [`Fragments::refragment`]'s order.
    pub fn in_ports(&self) -> Vec<u32> {
        self.frags.iter().map(|h| h.in_port).collect()
    }

    /// Cuts `packet` (the reassembled datagram after the tracker, from
    /// its IP header on) into fragments of the original sizes: each
    /// fragment keeps its own headers (link-layer header, TTL, TOS),
    /// takes the datagram's addresses (the part of an IP header NAT
    /// rewrites) and its own range of the datagram's data (where a
    /// rewritten L4 header and checksum lie).
    pub fn refragment(&self, packet: &[u8]) -> Result<Vec<Vec<u8>>, RefragError> {
        let data_at = self.frags.first().map_or(0, |f| f.data_at);
        // Where the datagram ends: its IP length, link padding cut off.
        let end = match self.family {
            Family::Ipv4 => ipv4::Packet::new_checked(packet)
                .map(|ip| usize::from(ip.total_len()))
                .map_err(|_| RefragError::Family)?,
            Family::Ipv6 => ipv6::Packet::new_checked(packet)
                .map(|ip| ipv6::HEADER_LEN + usize::from(ip.payload_len()))
                .map_err(|_| RefragError::Family)?,
        };
        // The datagram keeps the first fragment's headers, so its data
        // starts where that fragment's does.
        let data = packet.get(data_at..end).ok_or(RefragError::Length)?;
        if data.len() != self.frags.iter().map(|f| f.len).sum::<usize>() {
            return Err(RefragError::Length);
        }
        let mut out = Vec::with_capacity(self.frags.len());
        for held in &self.frags {
            let mut frag = held.clone();
            let range = frag.start..frag.start + frag.len;
            let (Some(src), Some(dst)) = (data.get(range), frag.bytes.get_mut(frag.data_at..))
            else {
                return Err(RefragError::Length);
            };
            if dst.len() != src.len() {
                return Err(RefragError::Length);
            }
            dst.copy_from_slice(src);
            copy_addresses(self.family, packet, &mut frag.bytes);
            out.push(frag.frame(&frag.bytes));
        }
        Ok(out)
    }
}

/// Gives `frag` the addresses of `datagram` (both checked views of the
/// same family), fixing an IPv4 header checksum.
fn copy_addresses(family: Family, datagram: &[u8], frag: &mut [u8]) {
    match family {
        Family::Ipv4 => {
            let from = ipv4::Packet::new_unchecked(datagram);
            let (src, dst): (Ipv4Addr, Ipv4Addr) = (from.src_addr(), from.dst_addr());
            let mut to = ipv4::Packet::new_unchecked(frag);
            if to.src_addr() != src || to.dst_addr() != dst {
                to.set_src_addr(src);
                to.set_dst_addr(dst);
                to.fill_checksum();
            }
        }
        Family::Ipv6 => {
            let from = ipv6::Packet::new_unchecked(datagram);
            let (src, dst): (Ipv6Addr, Ipv6Addr) = (from.src_addr(), from.dst_addr());
            let mut to = ipv6::Packet::new_unchecked(frag);
            to.set_src_addr(src);
            to.set_dst_addr(dst);
        }
    }
}
