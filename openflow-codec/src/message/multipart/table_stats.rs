//! The TABLE reply: per-table active/lookup/matched counts, printed with
//! OVS's "ditto" compression of runs of identical tables.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use crate::message::wire::{self, Parsed};

/// `ofp_table_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStats {
    pub table_id: u8,
    pub active_count: u32,
    pub lookup_count: u64,
    pub matched_count: u64,
}

impl TableStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, TableStats> {
        let (input, table_id) = wire::u8(input)?;
        let (input, ()) = wire::pad(3)(input)?;
        let (input, active_count) = wire::u32(input)?;
        let (input, lookup_count) = wire::u64(input)?;
        let (input, matched_count) = wire::u64(input)?;
        Ok((
            input,
            TableStats {
                table_id,
                active_count,
                lookup_count,
                matched_count,
            },
        ))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.table_id);
        out.put_bytes(0, 3);
        out.put_u32(self.active_count);
        out.put_u64(self.lookup_count);
        out.put_u64(self.matched_count);
    }

    fn same_counts(&self, other: &TableStats) -> bool {
        (self.active_count, self.lookup_count, self.matched_count)
            == (other.active_count, other.lookup_count, other.matched_count)
    }
}

/// A table whose counts equal the previous table's joins a "ditto" run;
/// a run is printed when a different table (or the end) follows it.
pub fn format_list(out: &mut String, list: &[TableStats]) {
    let mut ditto: Option<(u8, u8)> = None;
    let mut prev: Option<&TableStats> = None;
    for stats in list {
        if prev.is_some_and(|p| stats.same_counts(p)) {
            ditto = Some(
                ditto.map_or((stats.table_id, stats.table_id), |(first, _)| {
                    (first, stats.table_id)
                }),
            );
        } else {
            finish_ditto(out, ditto.take());
            let _ = write!(
                out,
                "\n  table {}:\n    active={}, lookup={}, matched={}\n",
                stats.table_id, stats.active_count, stats.lookup_count, stats.matched_count
            );
        }
        prev = Some(stats);
    }
    finish_ditto(out, ditto);
}

/// Prints a ditto run, shared with the table features printer.
pub fn finish_ditto(out: &mut String, run: Option<(u8, u8)>) {
    match run {
        None => {}
        Some((first, last)) if first == last => {
            let _ = write!(out, "\n  table {first}: ditto\n");
        }
        Some((first, last)) => {
            let _ = write!(out, "\n  tables {first}...{last}: ditto\n");
        }
    }
}
