//! One IP fragment as the reassembler sees it: which datagram it belongs
//! to, which bytes of that datagram it carries, and where those bytes sit
//! in the fragment itself.
//!
//! Only a real fragment is a [`Parsed::Fragment`]: an unfragmented IPv4
//! datagram or an IPv6 atomic fragment (offset 0, no "more fragments")
//! is [`Parsed::Whole`] and goes to the tracker as it is.

use crate::key::Family;
use crate::wire::{be16, be32, ipv4, ipv6};

/// The fields that name a datagram, as OVS keys its fragment lists: the
/// addresses, the identification, the zone and the recirculation pass,
/// and (IPv4 only, as OVS) the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ListKey {
    pub family: Family,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub ident: u32,
    pub zone: u16,
    pub recirc_id: u32,
    pub proto: u8,
}

/// Where a fragment's data lies, in the datagram and in the fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fragment {
    pub key: ListKey,
    /// The offset of the data in the datagram's fragmentable part.
    pub start: usize,
    /// The length of the data (never zero).
    pub len: usize,
    /// Where the data starts in the fragment's own bytes.
    pub data_at: usize,
    /// The fragment's length from its IP header on (link padding cut off).
    pub size: usize,
    /// Offset zero with "more fragments".
    pub first: bool,
    /// A non-zero offset without "more fragments".
    pub last: bool,
}

impl Fragment {
    /// One past the last datagram byte this fragment carries.
    pub fn end(&self) -> usize {
        self.start + self.len
    }
}

/// What [`parse`] makes of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// Not a fragment: the tracker sees it as it is.
    Whole,
    /// A fragment that cannot be reassembled: bad lengths, bad checksum,
    /// no data. OVS marks such a fragment `+inv` without counting it.
    Malformed,
    Fragment(Fragment),
}

/// The IPv6 fragment header (RFC 8200 section 4.5), from its start.
mod v6_field {
    pub const OFF_FLAGS: usize = 2;
    pub const IDENT: usize = 4;
}

const V6_MORE_FRAGS: u16 = 0x0001;
const V6_OFFSET_MASK: u16 = 0xfff8;
/// The length of the IPv6 fragment header.
pub(crate) const V6_FRAG_HEADER_LEN: usize = 8;

/// Turns the IPv6 fragment header at `at` of `packet` into an atomic
/// fragment's (offset 0, no more fragments), as OVS leaves it in a
/// reassembled datagram.
pub(crate) fn make_v6_atomic(packet: &mut [u8], at: usize) {
    let word = at + v6_field::OFF_FLAGS;
    if let Some(b) = packet.get_mut(word..word + 2) {
        b.fill(0);
    }
}

/// Reads `l3` (an IP packet of `family`, link padding allowed after it)
/// in `zone` and recirculation pass `recirc_id`.
pub(crate) fn parse(l3: &[u8], family: Family, zone: u16, recirc_id: u32, verify: bool) -> Parsed {
    let key = |src: [u8; 16], dst: [u8; 16], ident: u32, proto: u8| ListKey {
        family,
        src,
        dst,
        ident,
        zone,
        recirc_id,
        proto,
    };
    match family {
        Family::Ipv4 => {
            let Ok(ip) = ipv4::Packet::new_checked(l3) else {
                return Parsed::Malformed;
            };
            if !ip.is_fragment() {
                return Parsed::Whole;
            }
            if verify && !ip.verify_checksum() {
                return Parsed::Malformed;
            }
            let (start, data_at) = (usize::from(ip.frag_offset()), ip.header_len());
            let size = usize::from(ip.total_len());
            let len = size.saturating_sub(data_at);
            if len == 0 {
                return Parsed::Malformed;
            }
            let mut src = [0u8; 16];
            let mut dst = [0u8; 16];
            src[..4].copy_from_slice(&ip.src_bytes());
            dst[..4].copy_from_slice(&ip.dst_bytes());
            Parsed::Fragment(Fragment {
                key: key(src, dst, u32::from(ip.ident()), ip.protocol()),
                start,
                len,
                data_at,
                size,
                first: start == 0 && ip.more_frags(),
                last: start != 0 && !ip.more_frags(),
            })
        }
        Family::Ipv6 => {
            let Ok(ip) = ipv6::Packet::new_checked(l3) else {
                return Parsed::Malformed;
            };
            let Ok(upper) = ip.upper_layer() else {
                return Parsed::Malformed;
            };
            let Some(at) = upper.frag_header.filter(|_| upper.fragment) else {
                return Parsed::Whole;
            };
            let size = ipv6::HEADER_LEN + usize::from(ip.payload_len());
            let data_at = at + V6_FRAG_HEADER_LEN;
            let len = size.saturating_sub(data_at);
            if len == 0 {
                return Parsed::Malformed;
            }
            let off_flags = be16(l3, at + v6_field::OFF_FLAGS);
            let start = usize::from(off_flags & V6_OFFSET_MASK);
            let more = off_flags & V6_MORE_FRAGS != 0;
            Parsed::Fragment(Fragment {
                key: key(
                    ip.src_bytes(),
                    ip.dst_bytes(),
                    be32(l3, at + v6_field::IDENT),
                    0,
                ),
                start,
                len,
                data_at,
                size,
                first: start == 0 && more,
                last: start != 0 && !more,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipf::tests::{v4_fragment, v6_fragment};

    #[test]
    fn an_ipv4_first_fragment_names_its_datagram_and_range() {
        let frag = v4_fragment(7, 0, true, &[0; 1400]);
        let Parsed::Fragment(f) = parse(&frag, Family::Ipv4, 3, 0, true) else {
            panic!("not a fragment");
        };
        assert_eq!((f.start, f.len, f.data_at, f.size), (0, 1400, 20, 1420));
        assert!(f.first && !f.last);
        assert_eq!((f.key.ident, f.key.zone, f.key.proto), (7, 3, 17));
    }

    #[test]
    fn an_ipv6_last_fragment_is_read_past_its_extension_headers() {
        let frag = v6_fragment(0x01020304, 1456, false, &[0; 100]);
        let Parsed::Fragment(f) = parse(&frag, Family::Ipv6, 0, 0, true) else {
            panic!("not a fragment");
        };
        assert_eq!((f.start, f.len, f.data_at), (1456, 100, 56));
        assert!(f.last && !f.first);
        assert_eq!((f.key.ident, f.key.proto), (0x01020304, 0));
    }

    #[test]
    fn whole_datagrams_and_atomic_fragments_are_not_fragments() {
        let mut whole = v4_fragment(1, 0, false, &[0; 8]);
        assert_eq!(parse(&whole, Family::Ipv4, 0, 0, true), Parsed::Whole);
        whole[0] = 0x55;
        assert_eq!(parse(&whole, Family::Ipv4, 0, 0, true), Parsed::Malformed);
        let atomic = v6_fragment(1, 0, false, &[0; 8]);
        assert_eq!(parse(&atomic, Family::Ipv6, 0, 0, true), Parsed::Whole);
    }

    #[test]
    fn a_bad_header_checksum_or_no_data_is_malformed() {
        let mut frag = v4_fragment(1, 0, true, &[0; 8]);
        frag[11] ^= 1;
        assert_eq!(parse(&frag, Family::Ipv4, 0, 0, true), Parsed::Malformed);
        assert!(matches!(
            parse(&frag, Family::Ipv4, 0, 0, false),
            Parsed::Fragment(_)
        ));
        let empty = v6_fragment(1, 8, true, &[]);
        assert_eq!(parse(&empty, Family::Ipv6, 0, 0, true), Parsed::Malformed);
    }
}
