//! `tun_metadata0` … `tun_metadata63`: Geneve-style tunnel options, the one
//! field family whose width varies (1 to 124 bytes, set by the value a flow
//! gives). They do not fit the fixed-width registry, so a [`Match`] keeps
//! them out of line, ordered by option number, and this module owns their
//! names, wire headers, text and encoding.
//!
//! No port carries tunnel options yet, so a rule that asks for one matches
//! no packet (OVS needs the option to be present too).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::FieldError;
use crate::format::parse_uint;
use crate::header::{OxmHeader, CLASS_NXM_1};
use crate::Match;

/// How many options there are, and the widest option value.
pub const COUNT: u8 = 64;
pub const MAX_LEN: usize = 124;
/// `NXM_NX_TUN_METADATA0`'s field number; option N is field FIRST + N.
const FIRST_FIELD: u8 = 40;

/// One option's value and mask, of equal length.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Opt {
    pub value: Vec<u8>,
    pub mask: Vec<u8>,
    /// Whether a mask was given; like OVS, a given mask is sent even when
    /// it is all ones.
    pub masked: bool,
}

/// The options a match constrains, by option number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TunMetadata(pub BTreeMap<u8, Opt>);

/// The option number of a text name (`tun_metadata5` → 5).
pub fn index_of_name(name: &str) -> Option<u8> {
    let n: u8 = name.strip_prefix("tun_metadata")?.parse().ok()?;
    (n < COUNT).then_some(n)
}

/// The option number of a header, if it names a tunnel option.
pub fn index_of_header(h: OxmHeader) -> Option<u8> {
    let n = h.field.checked_sub(FIRST_FIELD)?;
    (h.class == CLASS_NXM_1 && h.experimenter.is_none() && n < COUNT).then_some(n)
}

/// A hex or decimal number as big-endian bytes, at most `MAX_LEN` of them.
fn parse_bytes(text: &str) -> Option<Vec<u8>> {
    let digits = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        // `0x` alone is zero, which takes no bytes.
        Some("") => return Some(Vec::new()),
        Some(hex) => hex.to_string(),
        None => format!("{:x}", parse_uint(text).ok()?),
    };
    if digits.is_empty()
        || digits.len() > 2 * MAX_LEN
        || !digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    let padded = if !digits.len().is_multiple_of(2) {
        format!("0{digits}")
    } else {
        digits
    };
    (0..padded.len() / 2)
        .map(|i| u8::from_str_radix(padded.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Drops leading zero bytes, keeping at least one.
fn significant(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    bytes.get(start..).unwrap_or(bytes)
}

/// Drops every leading zero byte: zero takes no bytes at all.
fn nonzero_bytes(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or(bytes)
}

/// Right-aligns `bytes` in `len` bytes.
fn widen(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0; len.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

/// `0x` and the hex digits, zero as `0`, as OVS prints a byte string.
fn hex(bytes: &[u8]) -> String {
    let sig = significant(bytes);
    if sig.iter().all(|&b| b == 0) {
        return "0".to_string();
    }
    let mut s = String::from("0x");
    for (i, b) in sig.iter().enumerate() {
        if i == 0 {
            let _ = write!(s, "{b:x}");
        } else {
            let _ = write!(s, "{b:02x}");
        }
    }
    s
}

impl Match {
    /// The tunnel options this match constrains.
    pub fn tun_metadata(&self) -> &TunMetadata {
        &self.tun_md
    }

    /// `tun_metadataN=VALUE[/MASK]`: the option takes the fewest bytes
    /// that hold both value and mask, as ovs-ofctl sizes it.
    pub fn apply_tun_metadata(&mut self, index: u8, text: &str) -> Result<(), FieldError> {
        let name = format!("tun_metadata{index}");
        let bad = |what: &str| FieldError::text(format!("{text}: bad syntax for {name} {what}"));
        let (v, m) = match text.split_once('/') {
            Some((v, m)) => (
                parse_bytes(v).ok_or_else(|| bad("value"))?,
                Some(parse_bytes(m).ok_or_else(|| bad("mask"))?),
            ),
            None => (parse_bytes(text).ok_or_else(|| bad("value"))?, None),
        };
        let masked = m.is_some();
        // A zero value (and mask) takes no bytes, as ovs-ofctl sizes it.
        let len = nonzero_bytes(&v)
            .len()
            .max(m.as_deref().map_or(0, |m| nonzero_bytes(m).len()));
        let mask = m.map_or_else(|| vec![0xff; len], |m| widen(nonzero_bytes(&m), len));
        let value: Vec<u8> = widen(nonzero_bytes(&v), len)
            .iter()
            .zip(&mask)
            .map(|(v, m)| v & m)
            .collect();
        self.tun_md.0.insert(
            index,
            Opt {
                value,
                mask,
                masked,
            },
        );
        Ok(())
    }

    /// Decodes one tunnel-option TLV payload into the match.
    pub(crate) fn decode_tun_metadata(
        &mut self,
        index: u8,
        has_mask: bool,
        payload: &[u8],
    ) -> Result<(), FieldError> {
        let len = if has_mask {
            payload.len() / 2
        } else {
            payload.len()
        };
        if len > MAX_LEN || (has_mask && !payload.len().is_multiple_of(2)) {
            return Err(FieldError::BadLen);
        }
        if self.tun_md.0.contains_key(&index) {
            return Err(FieldError::DupField);
        }
        let value = payload.get(..len).ok_or(FieldError::BadLen)?;
        let mask = if has_mask {
            payload.get(len..).ok_or(FieldError::BadLen)?.to_vec()
        } else {
            vec![0xff; len]
        };
        let value = value.iter().zip(&mask).map(|(v, m)| v & m).collect();
        self.tun_md.0.insert(
            index,
            Opt {
                value,
                mask,
                masked: has_mask,
            },
        );
        Ok(())
    }
}

impl TunMetadata {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends the options' TLVs, in option order.
    pub(crate) fn encode(&self, out: &mut BytesMut) {
        for (&index, opt) in &self.0 {
            let header = OxmHeader::nxm1(FIRST_FIELD + index);
            header.put(out, opt.masked, opt.value.len());
            out.put_slice(&opt.value);
            if opt.masked {
                out.put_slice(&opt.mask);
            }
        }
    }

    /// `tun_metadataN=V[/M],` for each option, as OVS prints them.
    pub(crate) fn format(&self, out: &mut String) {
        for (index, opt) in &self.0 {
            if opt.masked && opt.mask.iter().all(|&b| b == 0) {
                let _ = write!(out, "tun_metadata{index},");
            } else if nonzero_bytes(&opt.mask).iter().all(|&b| b == 0xff) {
                // Ones in the low bytes print as no mask, whatever the width.
                let _ = write!(out, "tun_metadata{index}={},", hex(&opt.value));
            } else {
                let _ = write!(
                    out,
                    "tun_metadata{index}={}/{},",
                    hex(&opt.value),
                    hex(&opt.mask)
                );
            }
        }
    }

    /// Whether every packet `self` accepts, `other` accepts too (`self` asks
    /// at least what `other` asks, and the same).
    pub(crate) fn is_within(&self, other: &TunMetadata) -> bool {
        other.0.iter().all(|(i, o)| {
            self.0.get(i).is_some_and(|s| {
                s.value.len() == o.value.len()
                    && s.mask.iter().zip(&o.mask).all(|(sm, om)| om & !sm == 0)
                    && s.value
                        .iter()
                        .zip(&o.value)
                        .zip(&o.mask)
                        .all(|((sv, ov), m)| (sv ^ ov) & m == 0)
            })
        })
    }

    /// Whether some packet could satisfy both.
    pub(crate) fn overlaps(&self, other: &TunMetadata) -> bool {
        self.0.iter().all(|(i, s)| {
            other.0.get(i).is_none_or(|o| {
                s.value.len() != o.value.len()
                    || s.value
                        .iter()
                        .zip(&o.value)
                        .zip(s.mask.iter().zip(&o.mask))
                        .all(|((sv, ov), (sm, om))| (sv ^ ov) & sm & om == 0)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(items: &[(u8, &str)]) -> (String, String) {
        let mut m = Match::catch_all();
        for (i, t) in items {
            m.apply_tun_metadata(*i, t).unwrap();
        }
        let mut out = BytesMut::new();
        m.encode_oxm_fields(&mut out);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        (hex, m.to_string())
    }

    // Expectations from ovs-ofctl 3.1 `-O OpenFlow13 -mmmmm parse-flow`.
    #[test]
    fn options_take_the_fewest_bytes_that_hold_them() {
        assert_eq!(
            encoded(&[(0, "0x0001")]),
            ("0001500101".into(), "tun_metadata0=0x1".into())
        );
        assert_eq!(encoded(&[(0, "1")]).0, "0001500101");
        assert_eq!(
            encoded(&[(0, "0x1/0xff00")]),
            ("000151040000ff00".into(), "tun_metadata0=0/0xff00".into())
        );
        assert_eq!(encoded(&[(63, "0x123")]).0, "0001ce020123");
        assert_eq!(
            encoded(&[(1, "0x1234/0xffff")]),
            ("000153041234ffff".into(), "tun_metadata1=0x1234".into())
        );
    }

    #[test]
    fn options_go_in_option_order_and_a_zero_mask_prints_bare() {
        assert_eq!(
            encoded(&[(5, "0x22"), (0, "0x1")]),
            (
                "000150010100015a0122".into(),
                "tun_metadata0=0x1,tun_metadata5=0x22".into()
            )
        );
        assert_eq!(
            encoded(&[(0, "0x1/0x0")]),
            ("0001510200 00".replace(' ', ""), "tun_metadata0".into())
        );
    }

    #[test]
    fn zero_takes_no_bytes_and_low_ones_print_as_no_mask() {
        assert_eq!(
            encoded(&[(0, "0x0000")]),
            ("00015000".into(), "tun_metadata0=0".into())
        );
        assert_eq!(
            encoded(&[(0, "0/0")]),
            ("00015100".into(), "tun_metadata0".into())
        );
        assert_eq!(
            encoded(&[(0, "4294967295/0xff")]),
            (
                "00015108000000ff000000ff".into(),
                "tun_metadata0=0xff".into()
            )
        );
        assert_eq!(encoded(&[(0, "0xffff/0xf0")]).1, "tun_metadata0=0xf0/0xf0");
        assert_eq!(encoded(&[(0, "0xff00/0xff")]).1, "tun_metadata0=0");
    }

    #[test]
    fn a_bare_0x_is_zero_and_mask_errors_say_mask() {
        assert_eq!(encoded(&[(0, "0x")]).0, "00015000");
        let mut m = Match::catch_all();
        assert_eq!(
            m.apply_tun_metadata(0, "1/").map_err(|e| e.to_string()),
            Err("1/: bad syntax for tun_metadata0 mask".into())
        );
    }

    #[test]
    fn names_and_headers_map_to_option_numbers() {
        assert_eq!(index_of_name("tun_metadata63"), Some(63));
        assert_eq!(index_of_name("tun_metadata64"), None);
        assert_eq!(index_of_header(OxmHeader::nxm1(103)), Some(63));
        assert_eq!(index_of_header(OxmHeader::nxm1(104)), None);
    }
}
