//! Ethernet II frames, and the 802.1Q/802.1ad tags that may follow the
//! source address.

use super::{array, be16, ethertype, Error, Result};

mod field {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const ETHERTYPE: usize = 12;
}

/// The length of the untagged header.
pub const HEADER_LEN: usize = 14;
/// The length of one VLAN tag (TPID and TCI).
pub const TAG_LEN: usize = 4;

/// A view of an Ethernet frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps `buffer` after checking it holds the untagged header.
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Frame { buffer })
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn dst_addr(&self) -> [u8; 6] {
        array(self.data(), field::DST)
    }

    pub fn src_addr(&self) -> [u8; 6] {
        array(self.data(), field::SRC)
    }

    /// The ethertype (or TPID, or 802.3 length) after the addresses.
    pub fn ethertype(&self) -> u16 {
        be16(self.data(), field::ETHERTYPE)
    }

    /// The VLAN tags after the addresses, outermost first, and where the
    /// inner ethertype sits. At most `max` tags are read, as OVS reads two.
    pub fn tags(&self, max: usize) -> (TagIter<'_>, usize) {
        let data = self.data();
        let mut at = field::ETHERTYPE;
        let mut n = 0;
        while n < max && is_vlan_tpid(be16(data, at)) && data.len() >= at + TAG_LEN + 2 {
            at += TAG_LEN;
            n += 1;
        }
        (
            TagIter {
                data,
                at: field::ETHERTYPE,
                left: n,
            },
            at,
        )
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    pub fn set_dst_addr(&mut self, addr: [u8; 6]) {
        self.put_addr(field::DST, addr);
    }

    pub fn set_src_addr(&mut self, addr: [u8; 6]) {
        self.put_addr(field::SRC, addr);
    }

    fn put_addr(&mut self, at: usize, addr: [u8; 6]) {
        if let Some(b) = self.buffer.as_mut().get_mut(at..at + 6) {
            b.copy_from_slice(&addr);
        }
    }
}

/// Where the ethertype (or first TPID) sits: right after the addresses.
pub const ETHERTYPE_AT: usize = field::ETHERTYPE;

fn is_vlan_tpid(tpid: u16) -> bool {
    tpid == ethertype::VLAN || tpid == ethertype::QINQ
}

/// A frame's VLAN tags as (TPID, TCI), outermost first.
#[derive(Debug, Clone)]
pub struct TagIter<'a> {
    data: &'a [u8],
    at: usize,
    left: usize,
}

impl Iterator for TagIter<'_> {
    type Item = (u16, u16);

    fn next(&mut self) -> Option<(u16, u16)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let tag = (be16(self.data, self.at), be16(self.data, self.at + 2));
        self.at += TAG_LEN;
        Some(tag)
    }
}

/// What an ethertype field says once 802.3 lengths and LLC/SNAP are
/// resolved (OVS's `parse_ethertype`): the ethertype and where the payload
/// starts.
pub fn resolve_ethertype(data: &[u8], at: usize) -> (u16, usize) {
    let value = be16(data, at);
    if value >= ethertype::MIN {
        return (value, at + 2);
    }
    // An 802.3 length: only LLC/SNAP with a zero OUI carries an ethertype.
    let llc: [u8; 8] = array(data, at + 2);
    if data.len() >= at + 10 && llc[..6] == [0xaa, 0xaa, 0x03, 0, 0, 0] {
        let inner = u16::from_be_bytes([llc[6], llc[7]]);
        if inner >= ethertype::MIN {
            return (inner, at + 10);
        }
    }
    (ethertype::NONE, at + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGGED: [u8; 22] = [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, // addresses
        0x88, 0xa8, 0x20, 0x05, // outer tag, PCP 1, VID 5
        0x81, 0x00, 0x00, 0x07, // inner tag, VID 7
        0x08, 0x00,
    ];

    #[test]
    fn addresses_and_tags_read_outermost_first() {
        let f = Frame::new_checked(&TAGGED[..]).unwrap();
        assert_eq!(f.dst_addr(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(f.src_addr(), [7, 8, 9, 10, 11, 12]);
        let (tags, at) = f.tags(2);
        assert_eq!(
            tags.collect::<Vec<_>>(),
            vec![(ethertype::QINQ, 0x2005), (ethertype::VLAN, 0x0007)]
        );
        assert_eq!(resolve_ethertype(&TAGGED, at), (ethertype::IPV4, 22));
    }

    #[test]
    fn short_frames_are_refused() {
        assert_eq!(
            Frame::new_checked(&TAGGED[..13]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn llc_snap_carries_an_ethertype_and_plain_802_3_has_none() {
        let mut snap = vec![0u8; 12];
        snap.extend_from_slice(&[0x00, 0x30, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06]);
        assert_eq!(resolve_ethertype(&snap, 12), (ethertype::ARP, 22));
        let mut llc = vec![0u8; 12];
        llc.extend_from_slice(&[0x00, 0x30, 0x42, 0x42, 0x03]);
        assert_eq!(resolve_ethertype(&llc, 12), (ethertype::NONE, 14));
    }
}
