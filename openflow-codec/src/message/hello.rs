//! OFPT_HELLO: the version negotiation message, with its optional
//! OFPHET_VERSIONBITMAP element.

use bytes::{BufMut, BytesMut};

use super::print::hex_dump;
use super::HEADER_LEN;

/// `ofp_hello_elem_header.type` of a version bitmap.
const OFPHET_VERSIONBITMAP: u16 = 1;
/// Length of `ofp_hello_elem_header`.
const ELEM_HEADER_LEN: usize = 4;

/// A hello message. The elements are kept as received: OVS accepts any
/// bytes here (it only reports what it did not understand), so decoding
/// never fails and re-encoding gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub elements: Vec<u8>,
}

impl Hello {
    /// A hello announcing exactly the versions whose bits are set in
    /// `bitmap` (bit 4 is OpenFlow 1.3).
    pub fn with_versions(bitmap: u32) -> Hello {
        let mut elements = Vec::with_capacity(8);
        elements.extend_from_slice(&OFPHET_VERSIONBITMAP.to_be_bytes());
        elements.extend_from_slice(&8u16.to_be_bytes());
        elements.extend_from_slice(&bitmap.to_be_bytes());
        Hello { elements }
    }

    pub fn decode(body: &[u8]) -> Hello {
        Hello {
            elements: body.to_vec(),
        }
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.elements);
    }

    /// The versions the peer allows, as a bitmap, for a hello sent with
    /// header version `version`, and whether every element was understood.
    /// Without a usable bitmap, every version up to `version` is allowed.
    pub fn allowed_versions(&self, version: u8) -> (u32, bool) {
        let mut allowed = match version {
            0..=30 => ((1u32 << (version + 1)) - 1) & !1,
            _ => !1,
        };
        let mut understood = true;
        let mut rest = &self.elements[..];
        while !rest.is_empty() {
            let Some(head) = rest.get(..ELEM_HEADER_LEN) else {
                return (allowed, false);
            };
            let elem_type = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let padded = len.div_ceil(8) * 8;
            if len < ELEM_HEADER_LEN || padded > rest.len() {
                return (allowed, false);
            }
            let payload = &rest[ELEM_HEADER_LEN..len];
            match bitmap_versions(elem_type, payload) {
                Some(bits) => allowed = bits,
                None => understood = false,
            }
            rest = &rest[padded..];
        }
        (allowed, understood)
    }

    /// Prints the hello. When an element was not understood OVS dumps the
    /// whole message, so the header is rebuilt for that dump.
    pub fn format(&self, version: u8, xid: u32, out: &mut String) {
        let (allowed, understood) = self.allowed_versions(version);
        out.push_str("\n version bitmap: ");
        let versions: Vec<String> = (0..32)
            .filter(|bit| allowed & (1 << bit) != 0)
            .map(|bit| format!("0x{bit:02x}"))
            .collect();
        out.push_str(&versions.join(", "));
        if !understood {
            out.push_str("\n unknown data in hello:\n");
            let mut whole = Vec::with_capacity(HEADER_LEN + self.elements.len());
            whole.extend_from_slice(&[version, 0]);
            let len = u16::try_from(HEADER_LEN + self.elements.len()).unwrap_or(u16::MAX);
            whole.extend_from_slice(&len.to_be_bytes());
            whole.extend_from_slice(&xid.to_be_bytes());
            whole.extend_from_slice(&self.elements);
            hex_dump(out, &whole);
        }
    }
}

/// The allowed versions in a version-bitmap element, or `None` when the
/// element is not one OVS can use: another type, a length that is not whole
/// 32-bit words, or no version at all. Only the first word matters (versions
/// above 31 do not exist); the bit for version 0 is ignored.
fn bitmap_versions(elem_type: u16, payload: &[u8]) -> Option<u32> {
    if elem_type != OFPHET_VERSIONBITMAP || payload.is_empty() || !payload.len().is_multiple_of(4) {
        return None;
    }
    let first = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) & !1;
    (first != 0).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_bitmap_allows_versions_up_to_the_header() {
        assert_eq!(Hello::decode(&[]).allowed_versions(4), (0x1e, true));
    }

    #[test]
    fn bitmap_limits_versions() {
        assert_eq!(Hello::with_versions(0x12).allowed_versions(4), (0x12, true));
    }

    #[test]
    fn malformed_elements_are_not_understood() {
        let hello = Hello::decode(&[0, 1, 0, 12, 0, 0, 0, 0x1f, 0, 0, 0, 1]);
        assert_eq!(hello.allowed_versions(4), (0x1e, false));
    }
}
