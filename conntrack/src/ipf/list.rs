//! The fragments held for one datagram, and putting them back together.

use super::fragment::{make_v6_atomic, Fragment, V6_FRAG_HEADER_LEN};
use super::Arrival;
use crate::key::Family;
use crate::wire::{ipv4, ipv6};

/// The largest IPv4 datagram, and the largest IPv6 payload.
const MAX_IP_LEN: usize = 65535;

/// A fragment held until its datagram is whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    /// What came before its IP header (its own link-layer header, which
    /// it leaves with, as OVS sends each fragment with its own).
    pub link: Vec<u8>,
    /// The port it came in on, given back with it.
    pub in_port: u32,
    /// The fragment from its IP header on, link padding cut off.
    pub bytes: Vec<u8>,
    pub start: usize,
    pub len: usize,
    pub data_at: usize,
    pub last: bool,
}

impl Held {
    pub fn new(arrival: &Arrival<'_>, bytes: &[u8], frag: &Fragment) -> Self {
        Held {
            link: arrival.frame.get(..arrival.l3_at).unwrap_or(&[]).to_vec(),
            in_port: arrival.in_port,
            bytes: bytes.get(..frag.size).unwrap_or(bytes).to_vec(),
            start: frag.start,
            len: frag.len,
            data_at: frag.data_at,
            last: frag.last,
        }
    }

    fn end(&self) -> usize {
        self.start + self.len
    }

    /// The fragment as it goes on the wire: its link header, then `ip`.
    pub fn frame(&self, ip: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.link.len() + ip.len());
        out.extend_from_slice(&self.link);
        out.extend_from_slice(ip);
        out
    }

    /// The datagram bytes this fragment carries.
    pub fn data(&self) -> &[u8] {
        self.bytes.get(self.data_at..).unwrap_or(&[])
    }
}

/// Where a list is in its life, named as `dpctl/ipf-get-status -m` names
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListState {
    /// Fragments, but neither the first nor the last yet.
    Other,
    First,
    Last,
    /// Both ends seen; a hole or a stray fragment keeps it from completing.
    FirstLast,
    /// Whole but too long to reassemble; held until it expires.
    ReassembleFail,
}

impl ListState {
    pub fn name(self) -> &'static str {
        match self {
            ListState::Other => "other frag",
            ListState::First => "first frag",
            ListState::Last => "last frag",
            ListState::FirstLast => "first/last frag",
            ListState::ReassembleFail => "reassemble fail",
        }
    }

    /// Whether the list still takes fragments.
    pub fn is_open(self) -> bool {
        self != ListState::ReassembleFail
    }

    fn after(self, first: bool, last: bool) -> ListState {
        let (had_first, had_last) = match self {
            ListState::First => (true, false),
            ListState::Last => (false, true),
            ListState::FirstLast => (true, true),
            _ => (false, false),
        };
        match (had_first || first, had_last || last) {
            (true, true) => ListState::FirstLast,
            (true, false) => ListState::First,
            (false, true) => ListState::Last,
            (false, false) => ListState::Other,
        }
    }
}

/// What adding a fragment to a list came to.
#[derive(Debug)]
pub(crate) enum Step {
    /// The list takes no more fragments: the tracker sees this one.
    Pass,
    /// The fragment overlaps one held.
    Overlap,
    Held,
    /// The datagram is whole: it, and the fragments it was made of.
    Whole(Vec<u8>, Vec<Held>),
}

/// The fragments of one datagram, kept in offset order.
#[derive(Debug, Clone)]
pub(crate) struct FragList {
    pub state: ListState,
    pub frags: Vec<Held>,
    /// When the list is given up (milliseconds, the caller's clock).
    pub expiration: u64,
}

impl FragList {
    pub fn new(expiration: u64) -> Self {
        FragList {
            state: ListState::Other,
            frags: Vec::new(),
            expiration,
        }
    }

    /// Whether `frag` overlaps a fragment already held, as OVS 3.1 tells:
    /// its first or its last byte falls inside one. A fragment that covers
    /// a held one whole is taken, as OVS takes it; the list then never
    /// completes ([`FragList::is_complete`] wants the fragments end to
    /// end) and its fragments go `+inv` when it expires, so overlapping
    /// data is never reassembled either way (RFC 5722).
    pub fn overlaps(&self, frag: &Fragment) -> bool {
        let inside = |byte: usize, h: &Held| h.start <= byte && byte < h.end();
        let last = frag.end().saturating_sub(1);
        self.frags
            .iter()
            .any(|h| inside(frag.start, h) || inside(last, h))
    }

    /// Adds a fragment that overlaps none held.
    pub fn add(&mut self, held: Held, first: bool) {
        let at = self.frags.partition_point(|h| h.start < held.start);
        self.state = self.state.after(first, held.last);
        self.frags.insert(at, held);
    }

    /// Whether the fragments cover the datagram from its first byte to the
    /// end of its last fragment, with nothing after that.
    pub fn is_complete(&self) -> bool {
        if self.state != ListState::FirstLast {
            return false;
        }
        let contiguous = self.frags.windows(2).all(|w| match w {
            [a, b] => a.end() == b.start,
            _ => true,
        });
        let ends = self.frags.first().is_some_and(|f| f.start == 0)
            && self.frags.last().is_some_and(|f| f.last);
        contiguous && ends
    }

    /// Reassembles a complete list, taking its fragments (or leaves it
    /// `ReassembleFail`, still holding them, if the datagram would be too
    /// long).
    pub fn take_if_complete(&mut self, family: Family) -> Step {
        if !self.is_complete() {
            return Step::Held;
        }
        match self.reassemble(family) {
            Some(packet) => Step::Whole(packet, std::mem::take(&mut self.frags)),
            None => {
                self.state = ListState::ReassembleFail;
                Step::Held
            }
        }
    }

    /// The datagram the fragments make: the first fragment's headers
    /// followed by every fragment's data. `None` if it would be longer than
    /// IP allows.
    pub fn reassemble(&self, family: Family) -> Option<Vec<u8>> {
        let first = self.frags.first()?;
        let header = first.bytes.get(..first.data_at)?;
        let data_len: usize = self.frags.iter().map(|f| f.len).sum();
        let total = header.len() + data_len;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(header);
        for frag in &self.frags {
            out.extend_from_slice(frag.data());
        }
        match family {
            Family::Ipv4 => {
                let total = u16::try_from(total).ok()?;
                let mut ip = ipv4::Packet::new_unchecked(&mut out[..]);
                ip.set_total_len(total);
                ip.set_fragment(false, 0);
                ip.fill_checksum();
            }
            Family::Ipv6 => {
                let payload = total.checked_sub(ipv6::HEADER_LEN)?;
                if payload > MAX_IP_LEN {
                    return None;
                }
                let payload = u16::try_from(payload).ok()?;
                ipv6::Packet::new_unchecked(&mut out[..]).set_payload_len(payload);
                make_v6_atomic(&mut out, first.data_at.checked_sub(V6_FRAG_HEADER_LEN)?);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(start: usize, len: usize, last: bool) -> Held {
        Held {
            link: Vec::new(),
            in_port: 0,
            bytes: vec![0; 20 + len],
            start,
            len,
            data_at: 20,
            last,
        }
    }

    #[test]
    fn fragments_are_kept_in_offset_order_and_the_state_follows_the_ends() {
        let mut list = FragList::new(0);
        list.add(held(16, 8, true), false);
        assert_eq!(list.state, ListState::Last);
        list.add(held(8, 8, false), false);
        assert!(!list.is_complete());
        list.add(held(0, 8, false), true);
        assert_eq!(list.state, ListState::FirstLast);
        let starts: Vec<usize> = list.frags.iter().map(|h| h.start).collect();
        assert_eq!(starts, [0, 8, 16]);
        assert!(list.is_complete());
    }

    #[test]
    fn a_hole_or_data_past_the_last_fragment_keeps_a_list_open() {
        let mut holed = FragList::new(0);
        holed.add(held(0, 8, false), true);
        holed.add(held(16, 8, true), false);
        assert!(!holed.is_complete());
        let mut beyond = FragList::new(0);
        beyond.add(held(0, 8, false), true);
        beyond.add(held(8, 8, true), false);
        beyond.add(held(16, 8, false), false);
        assert!(!beyond.is_complete());
    }

    #[test]
    fn state_names_are_ovs_names() {
        assert_eq!(ListState::FirstLast.name(), "first/last frag");
        assert_eq!(ListState::ReassembleFail.name(), "reassemble fail");
        assert!(!ListState::ReassembleFail.is_open());
    }
}
