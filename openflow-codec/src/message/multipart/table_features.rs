//! The TABLE_FEATURES request and reply: one `ofp_table_features` per
//! table, each with a property list kept as received and checked as OVS
//! checks it.

use bytes::{BufMut, BytesMut};

use super::table_features_props;
use crate::error::{BadPropertyCode, TableFeaturesFailedCode};
use crate::message::wire::{self, Parsed};

/// Length of `ofp_table_features` without properties.
const TABLE_FEATURES_LEN: usize = 64;
const OFP_MAX_TABLE_NAME_LEN: usize = 32;
/// The properties every table must describe (OVS rejects a table without
/// them): instructions, next tables, write/apply actions, match, wildcards,
/// write/apply set-field, i.e. the even property types 0 to 14.
const REQUIRED_PROPS: u32 = 0x5555;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFeatures {
    pub table_id: u8,
    pub name: String,
    pub metadata_match: u64,
    pub metadata_write: u64,
    pub config: u32,
    pub max_entries: u32,
    /// The `ofp_table_feature_prop_*` list as sent, checked by
    /// [`table_features_props::decode`] (which also reads it).
    pub properties: Vec<u8>,
}

impl TableFeatures {
    pub fn parse(input: &[u8]) -> Parsed<'_, TableFeatures> {
        let bad_len = || wire::fail::<TableFeatures>(BadPropertyCode::BadLen);
        let (rest, len) = wire::u16(input)?;
        let len = usize::from(len);
        if len < TABLE_FEATURES_LEN || len > input.len() || !len.is_multiple_of(8) {
            return bad_len();
        }
        let (rest, table_id) = wire::u8(rest)?;
        let (rest, ()) = wire::pad(5)(rest)?;
        let (rest, name) = wire::fixed_str(OFP_MAX_TABLE_NAME_LEN)(rest)?;
        let (rest, metadata_match) = wire::u64(rest)?;
        let (rest, metadata_write) = wire::u64(rest)?;
        let (rest, config) = wire::u32(rest)?;
        let (rest, max_entries) = wire::u32(rest)?;
        let (rest, props) = wire::take(len - TABLE_FEATURES_LEN)(rest)?;
        let seen = match table_features_props::decode(props) {
            Ok(list) => list
                .iter()
                .filter(|p| p.kind < 32)
                .fold(0u32, |acc, p| acc | 1 << p.kind),
            Err(err) => return wire::fail(err),
        };
        if seen & REQUIRED_PROPS != REQUIRED_PROPS {
            return wire::fail(TableFeaturesFailedCode::BadFeatures);
        }
        let features = TableFeatures {
            table_id,
            name,
            metadata_match,
            metadata_write,
            config,
            max_entries,
            properties: props.to_vec(),
        };
        Ok((rest, features))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u16(0);
        out.put_u8(self.table_id);
        out.put_bytes(0, 5);
        wire::put_fixed_str(out, &self.name, OFP_MAX_TABLE_NAME_LEN);
        out.put_u64(self.metadata_match);
        out.put_u64(self.metadata_write);
        out.put_u32(self.config);
        out.put_u32(self.max_entries);
        out.put_slice(&self.properties);
        wire::patch_len(out, start, start);
    }
}

pub use super::table_features_format::format_list;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_tables_print_as_ditto_as_ovs_does() {
        let table = |id, max_entries| TableFeatures {
            table_id: id,
            name: String::new(),
            metadata_match: u64::MAX,
            metadata_write: u64::MAX,
            config: 0,
            max_entries,
            properties: Vec::new(),
        };
        let mut out = String::new();
        format_list(
            &mut out,
            &[
                table(0, 9),
                table(1, 9),
                table(2, 9),
                table(3, 5),
                table(4, 9),
            ],
        );
        // What OVS 3.1's ofp-print prints after the reply's first line.
        assert_eq!(
            out,
            "\n  table 0:\n    metadata: match=0xffffffffffffffff write=0xffffffffffffffff\n    \
             max_entries=9\n\n  tables 1...2: ditto\n\n  table 3:\n    metadata: \
             match=0xffffffffffffffff write=0xffffffffffffffff\n    max_entries=5\n\n  \
             table 4:\n    metadata: match=0xffffffffffffffff write=0xffffffffffffffff\n    \
             max_entries=9\n"
        );
    }
}
