//! The property list of one `ofp_table_features` (OpenFlow 1.3.5
//! §7.3.5.18): instruction and action ids, next tables, and OXM header
//! lists, read from and written to the wire. Experimenter and unknown
//! properties are kept as received.

use bytes::{BufMut, BytesMut};
use nxm_fields::{OxmHeader, RawHeader};

use crate::error::{BadMatchCode, BadPropertyCode, OfpError};
use crate::message::property;
use crate::message::wire;

pub const INSTRUCTIONS: u16 = 0;
pub const NEXT_TABLES: u16 = 2;
pub const WRITE_ACTIONS: u16 = 4;
pub const APPLY_ACTIONS: u16 = 6;
pub const MATCH: u16 = 8;
pub const WILDCARDS: u16 = 10;
pub const WRITE_SETFIELD: u16 = 12;
pub const APPLY_SETFIELD: u16 = 14;
/// Added to a property type for its table-miss variant.
pub const MISS: u16 = 1;

const BAD_LEN: OfpError = OfpError::BadProperty(BadPropertyCode::BadLen);

/// An instruction or action id: its type and whatever follows the 4-byte
/// header (an experimenter id, for experimenter types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id {
    pub kind: u16,
    pub data: Vec<u8>,
}

/// An OXM header in a field list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldHeader {
    pub header: OxmHeader,
    pub has_mask: bool,
    /// The length byte as sent (counting an experimenter id).
    pub length: u8,
}

impl FieldHeader {
    /// The header of a field whose value is `value_len` bytes, with a mask
    /// of the same size after it or not.
    pub fn new(header: OxmHeader, has_mask: bool, value_len: usize) -> FieldHeader {
        let exp_len = if header.experimenter.is_some() { 4 } else { 0 };
        let length = value_len * (1 + usize::from(has_mask)) + exp_len;
        FieldHeader {
            header,
            has_mask,
            length: u8::try_from(length).unwrap_or(u8::MAX),
        }
    }
}

/// What a table supports, the same for table-miss flows and the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Support {
    pub instructions: Vec<u16>,
    pub next_tables: Vec<u8>,
    /// For both Write-Actions and Apply-Actions.
    pub actions: Vec<u16>,
    pub set_fields: Vec<FieldHeader>,
    /// Matchable fields, masked headers for the arbitrarily maskable ones.
    pub matching: Vec<FieldHeader>,
    pub wildcards: Vec<FieldHeader>,
}

impl Support {
    /// The properties that describe it, in the order OVS sends them: the
    /// other flows' six, the table-miss flows' six, MATCH, WILDCARDS.
    pub fn properties(&self) -> Vec<TableProp> {
        let ids = |kinds: &[u16]| {
            Body::Ids(
                kinds
                    .iter()
                    .map(|&kind| Id { kind, data: vec![] })
                    .collect(),
            )
        };
        let mut list = Vec::new();
        for miss in [0, MISS] {
            for (kind, body) in [
                (INSTRUCTIONS, ids(&self.instructions)),
                (NEXT_TABLES, Body::Tables(self.next_tables.clone())),
                (WRITE_ACTIONS, ids(&self.actions)),
                (WRITE_SETFIELD, Body::Fields(self.set_fields.clone())),
                (APPLY_ACTIONS, ids(&self.actions)),
                (APPLY_SETFIELD, Body::Fields(self.set_fields.clone())),
            ] {
                list.push(TableProp {
                    kind: kind + miss,
                    body,
                });
            }
        }
        list.push(TableProp {
            kind: MATCH,
            body: Body::Fields(self.matching.clone()),
        });
        list.push(TableProp {
            kind: WILDCARDS,
            body: Body::Fields(self.wildcards.clone()),
        });
        list
    }
}

/// What a property carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// INSTRUCTIONS, WRITE_ACTIONS, APPLY_ACTIONS and their miss variants.
    Ids(Vec<Id>),
    /// NEXT_TABLES(_MISS).
    Tables(Vec<u8>),
    /// MATCH, WILDCARDS, WRITE_SETFIELD, APPLY_SETFIELD (and misses).
    Fields(Vec<FieldHeader>),
    /// Experimenter and unknown properties: the value as received.
    Other(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableProp {
    pub kind: u16,
    pub body: Body,
}

/// Reads a property list. Errors are the ones OVS 3.1 reports: a bad
/// property or id length is OFPBPC_BAD_LEN, next table 255 OFPBPC_BAD_VALUE,
/// a truncated OXM header OFPBMC_BAD_LEN and a masked header outside MATCH
/// OFPBMC_BAD_MASK.
pub fn decode(mut input: &[u8]) -> Result<Vec<TableProp>, OfpError> {
    let mut props = Vec::new();
    while !input.is_empty() {
        let (rest, prop) = property::parse(input).map_err(wire::to_ofp_error)?;
        let body = match prop.kind {
            0 | 1 | 4..=7 => Body::Ids(decode_ids(prop.value)?),
            2 | 3 => Body::Tables(decode_tables(prop.value)?),
            8 | 10 | 12..=15 => Body::Fields(decode_fields(prop.value, prop.kind == MATCH)?),
            _ => Body::Other(prop.value.to_vec()),
        };
        props.push(TableProp {
            kind: prop.kind,
            body,
        });
        input = rest;
    }
    Ok(props)
}

fn decode_ids(mut value: &[u8]) -> Result<Vec<Id>, OfpError> {
    let mut ids = Vec::new();
    while !value.is_empty() {
        let (kind, len) = match value {
            [a, b, c, d, ..] => (
                u16::from_be_bytes([*a, *b]),
                usize::from(u16::from_be_bytes([*c, *d])),
            ),
            _ => return Err(BAD_LEN),
        };
        let data = value.get(4..len).filter(|_| len >= 4).ok_or(BAD_LEN)?;
        ids.push(Id {
            kind,
            data: data.to_vec(),
        });
        value = value.get(len..).ok_or(BAD_LEN)?;
    }
    Ok(ids)
}

fn decode_tables(value: &[u8]) -> Result<Vec<u8>, OfpError> {
    if value.contains(&255) {
        return Err(BadPropertyCode::BadValue.into());
    }
    Ok(value.to_vec())
}

fn decode_fields(mut value: &[u8], masks_allowed: bool) -> Result<Vec<FieldHeader>, OfpError> {
    let mut fields = Vec::new();
    while !value.is_empty() {
        let (raw, n): (RawHeader, usize) =
            RawHeader::parse(value).map_err(|_| OfpError::from(BadMatchCode::BadLen))?;
        if raw.has_mask && !masks_allowed && nxm_fields::field_by_header(raw.header).is_some() {
            return Err(BadMatchCode::BadMask.into());
        }
        fields.push(FieldHeader {
            header: raw.header,
            has_mask: raw.has_mask,
            length: raw.length,
        });
        value = value.get(n..).ok_or(OfpError::from(BadMatchCode::BadLen))?;
    }
    Ok(fields)
}

/// Writes a property list, each property padded to 8 bytes.
pub fn encode(props: &[TableProp]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for prop in props {
        let mut value = BytesMut::new();
        match &prop.body {
            Body::Ids(ids) => {
                for id in ids {
                    value.put_u16(id.kind);
                    value.put_u16(u16::try_from(4 + id.data.len()).unwrap_or(u16::MAX));
                    value.put_slice(&id.data);
                }
            }
            Body::Tables(tables) => value.put_slice(tables),
            Body::Fields(fields) => {
                for f in fields {
                    let word = (u32::from(f.header.class) << 16)
                        | (u32::from(f.header.field & 0x7f) << 9)
                        | (u32::from(f.has_mask) << 8)
                        | u32::from(f.length);
                    value.put_u32(word);
                    if let Some(exp) = f.header.experimenter {
                        value.put_u32(exp);
                    }
                }
            }
            Body::Other(bytes) => value.put_slice(bytes),
        }
        property::put(&mut out, prop.kind, &value);
    }
    out.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect()
    }

    #[test]
    fn properties_round_trip_with_padding() {
        // Instructions (meter, goto), next tables 1-3, match in_port and a
        // masked eth_dst, an ONF experimenter OXM, an unknown property.
        let wire = hex("0000000c000600040001000400000000000200070102030000080014\
             800000048000070cffff02044f4e4600000000000055000761626300");
        let props = decode(&wire).unwrap();
        assert_eq!(props.len(), 4);
        assert_eq!(
            props[0].body,
            Body::Ids(vec![
                Id {
                    kind: 6,
                    data: vec![]
                },
                Id {
                    kind: 1,
                    data: vec![]
                }
            ])
        );
        assert_eq!(props[1].body, Body::Tables(vec![1, 2, 3]));
        assert_eq!(encode(&props), wire);
    }

    #[test]
    fn malformed_properties_give_ovs_errors() {
        // What OVS 3.1's ofp-print reports for each.
        let bad_len = OfpError::from(BadPropertyCode::BadLen);
        assert_eq!(decode(&hex("0000000700010000")), Err(bad_len));
        assert_eq!(decode(&hex("0000000800010002")), Err(bad_len));
        assert_eq!(decode(&hex("0000000300000000")), Err(bad_len));
        assert_eq!(
            decode(&hex("00020005ff000000")),
            Err(BadPropertyCode::BadValue.into())
        );
        assert_eq!(
            decode(&hex("000a00088000070c")),
            Err(BadMatchCode::BadMask.into())
        );
        assert_eq!(
            decode(&hex("0008000680000000")),
            Err(BadMatchCode::BadLen.into())
        );
    }

    #[test]
    fn support_lists_the_twelve_instruction_properties_then_match_and_wildcards() {
        let eth_dst = FieldHeader::new(OxmHeader::basic(3), true, 6);
        assert_eq!(eth_dst.length, 12);
        let support = Support {
            instructions: vec![1],
            next_tables: vec![2],
            actions: vec![0],
            set_fields: vec![FieldHeader::new(OxmHeader::basic(3), false, 6)],
            matching: vec![eth_dst],
            wildcards: vec![],
        };
        let list = support.properties();
        let kinds: Vec<u16> = list.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [0, 2, 4, 12, 6, 14, 1, 3, 5, 13, 7, 15, 8, 10]);
        assert_eq!(decode(&encode(&list)), Ok(list));
    }
}
