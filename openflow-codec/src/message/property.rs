//! OpenFlow property lists (`ofp_prop_header`: type, length, value, padded
//! to 8 bytes), used by the Nicira messages built on properties.

use bytes::{BufMut, BytesMut};

use super::wire::{self, Parsed};
use crate::error::BadPropertyCode;

/// One property: its type and its value without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property<'a> {
    pub kind: u16,
    pub value: &'a [u8],
}

/// Pulls one property. OVS rejects a length below the header or one whose
/// padded size runs past the end with OFPBPC_BAD_LEN.
pub fn parse(input: &[u8]) -> Parsed<'_, Property<'_>> {
    let bad_len = || wire::fail(BadPropertyCode::BadLen);
    if input.len() < 4 {
        return bad_len();
    }
    let (rest, kind) = wire::u16(input)?;
    let (_, len) = wire::u16(rest)?;
    let len = usize::from(len);
    let padded = len.div_ceil(8) * 8;
    if len < 4 || padded > input.len() {
        return bad_len();
    }
    Ok((
        &input[padded..],
        Property {
            kind,
            value: &input[4..len],
        },
    ))
}

/// A property's value as a nested property list (after 4 bytes of pad).
pub fn nested<'a>(prop: &Property<'a>) -> Parsed<'a, &'a [u8]> {
    match prop.value.get(4..) {
        Some(inner) => Ok((&[], inner)),
        None => wire::fail(BadPropertyCode::BadLen),
    }
}

/// A property's value as a u16 (OVS accepts any length of at least 2).
pub fn value_u16<'a>(prop: &Property<'a>) -> Parsed<'a, u16> {
    match prop.value {
        [a, b, ..] => Ok((&[], u16::from_be_bytes([*a, *b]))),
        _ => wire::fail(BadPropertyCode::BadLen),
    }
}

/// A property's value as a u8 (any length of at least 1).
pub fn value_u8<'a>(prop: &Property<'a>) -> Parsed<'a, u8> {
    match prop.value {
        [a, ..] => Ok((&[], *a)),
        _ => wire::fail(BadPropertyCode::BadLen),
    }
}

/// Writes a property with `value`, padded to 8 bytes.
pub fn put(out: &mut BytesMut, kind: u16, value: &[u8]) {
    let start = out.len();
    out.put_u16(kind);
    out.put_u16(u16::try_from(4 + value.len()).unwrap_or(u16::MAX));
    out.put_slice(value);
    wire::pad_to_8(out, start);
}

/// Writes a 16-bit property as OVS does: the value and two bytes of pad,
/// counted in the length.
pub fn put_u16(out: &mut BytesMut, kind: u16, value: u16) {
    let b = value.to_be_bytes();
    put(out, kind, &[b[0], b[1], 0, 0]);
}

/// Writes an 8-bit property as OVS does: the value and three bytes of pad.
pub fn put_u8(out: &mut BytesMut, kind: u16, value: u8) {
    put(out, kind, &[value, 0, 0, 0]);
}

/// Writes a property whose value is a nested list, built by `inner`.
pub fn put_nested(out: &mut BytesMut, kind: u16, inner: &[u8]) {
    let start = out.len();
    out.put_u16(kind);
    out.put_u16(0);
    out.put_u32(0);
    out.put_slice(inner);
    wire::patch_len(out, start + 2, start);
    wire::pad_to_8(out, start);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u16_properties_are_eight_bytes() {
        let mut out = BytesMut::new();
        put_u16(&mut out, 2, 7);
        assert_eq!(&out[..], &[0, 2, 0, 8, 0, 7, 0, 0]);
        let (rest, prop) = parse(&out).map_err(|_| ()).unwrap_or((
            &[],
            Property {
                kind: 0,
                value: &[],
            },
        ));
        assert!(rest.is_empty());
        assert_eq!(
            prop,
            Property {
                kind: 2,
                value: &[0, 7, 0, 0]
            }
        );
    }

    #[test]
    fn overlong_property_is_bad_len() {
        assert!(parse(&[0, 1, 0, 12, 0, 0, 0, 0]).is_err());
    }
}
