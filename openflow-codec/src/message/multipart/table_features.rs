//! The TABLE_FEATURES request and reply: one `ofp_table_features` per
//! table, each with a property list kept as received.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use crate::error::{BadPropertyCode, TableFeaturesFailedCode};
use crate::message::property;
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
    /// The `ofp_table_feature_prop_*` list, checked for framing only.
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
        let mut check = props;
        let mut seen = 0u32;
        while !check.is_empty() {
            let (next, prop) = property::parse(check)?;
            if prop.kind < 32 {
                seen |= 1 << prop.kind;
            }
            check = next;
        }
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

/// Prints table features: the table line and the fixed fields. The
/// property lists (instructions, actions, match fields) are not printed.
pub fn format_list(out: &mut String, list: &[TableFeatures]) {
    // Like OVS, a run of tables identical to the one before (but for their
    // ids) prints as one "ditto" line.
    let mut ditto: Option<(u8, u8)> = None;
    let mut prev: Option<&TableFeatures> = None;
    for features in list {
        if prev.is_some_and(|p| p.same_but_id(features)) {
            ditto = Some(
                ditto.map_or((features.table_id, features.table_id), |(first, _)| {
                    (first, features.table_id)
                }),
            );
        } else {
            format_ditto(out, ditto.take());
            format_one(out, features);
        }
        prev = Some(features);
    }
    format_ditto(out, ditto);
}

fn format_one(out: &mut String, features: &TableFeatures) {
    let _ = write!(out, "\n  table {}", features.table_id);
    if !features.name.is_empty() {
        let _ = write!(out, " (\"{}\")", features.name);
    }
    out.push_str(":\n");
    if features.metadata_match != 0 || features.metadata_write != 0 {
        let _ = writeln!(
            out,
            "    metadata: match={:#x} write={:#x}",
            features.metadata_match, features.metadata_write
        );
    }
    if features.max_entries != 0 {
        let _ = writeln!(out, "    max_entries={}", features.max_entries);
    }
}

fn format_ditto(out: &mut String, run: Option<(u8, u8)>) {
    match run {
        Some((first, last)) if first == last => {
            let _ = writeln!(out, "\n  table {first}: ditto");
        }
        Some((first, last)) => {
            let _ = writeln!(out, "\n  tables {first}...{last}: ditto");
        }
        None => {}
    }
}

impl TableFeatures {
    /// Whether `other` says the same as `self` about a different table.
    fn same_but_id(&self, other: &TableFeatures) -> bool {
        TableFeatures {
            table_id: other.table_id,
            ..self.clone()
        } == *other
    }
}

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
