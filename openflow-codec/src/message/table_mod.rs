//! OFPT_TABLE_MOD. OpenFlow 1.3 deprecated the table config bits; OVS
//! ignores them there and prints only the table.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::wire::{self, Parsed};
use crate::error::OfpError;

/// `table_id` meaning every table.
pub const OFPTT_ALL: u8 = 0xff;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableMod {
    pub table_id: u8,
    pub config: u32,
}

impl TableMod {
    pub fn decode(body: &[u8]) -> Result<TableMod, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.table_id);
        out.put_bytes(0, 3);
        out.put_u32(self.config);
    }

    pub fn format(&self, out: &mut String) {
        if self.table_id == OFPTT_ALL {
            out.push_str(" table_id: ALL_TABLES");
        } else {
            let _ = write!(out, " table_id={}", self.table_id);
        }
    }
}

fn parse(input: &[u8]) -> Parsed<'_, TableMod> {
    let (input, table_id) = wire::u8(input)?;
    let (input, ()) = wire::pad(3)(input)?;
    let (input, config) = wire::u32(input)?;
    Ok((input, TableMod { table_id, config }))
}
