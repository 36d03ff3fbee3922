//! OFPT_PACKET_IN: a packet sent to the controller, with the flow's
//! metadata as a match.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::Match;

use super::ofp_match;
use super::packet_out::NO_BUFFER;
use super::packet_text::packet_to_string;
use super::wire::{self, Parsed};
use crate::error::OfpError;

/// `ofp_packet_in_reason` names by value, as OVS prints them.
const REASONS: [&str; 6] = [
    "no_match",
    "action",
    "invalid_ttl",
    "action_set",
    "group",
    "packet_out",
];

#[derive(Debug, Clone, PartialEq)]
pub struct PacketIn {
    pub buffer_id: u32,
    pub total_len: u16,
    pub reason: u8,
    pub table_id: u8,
    pub cookie: u64,
    /// Metadata (in_port, registers, tunnel, ...) as a match.
    pub r#match: Match,
    pub data: Vec<u8>,
}

impl PacketIn {
    pub fn decode(body: &[u8]) -> Result<PacketIn, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.buffer_id);
        out.put_u16(self.total_len);
        out.put_u8(self.reason);
        out.put_u8(self.table_id);
        out.put_u64(self.cookie);
        self.r#match.encode_ofp_match(out);
        out.put_u16(0);
        out.put_slice(&self.data);
    }

    /// OVS's packet-in description: the metadata, then the frame.
    pub fn format(&self, out: &mut String) {
        if self.table_id != 0 {
            let _ = write!(out, " table_id={}", self.table_id);
        }
        if self.cookie != u64::MAX {
            let _ = write!(out, " cookie={:#x}", self.cookie);
        }
        let _ = write!(out, " total_len={} {}", self.total_len, self.r#match);
        match REASONS.get(usize::from(self.reason)) {
            Some(name) => {
                let _ = write!(out, " (via {name})");
            }
            None => {
                let _ = write!(out, " (via {})", self.reason);
            }
        }
        let _ = write!(out, " data_len={}", self.data.len());
        if self.buffer_id == NO_BUFFER {
            out.push_str(" (unbuffered)");
            if usize::from(self.total_len) != self.data.len() {
                out.push_str(" (***total_len != data_len***)");
            }
        } else {
            let _ = write!(out, " buffer=0x{:08x}", self.buffer_id);
            if usize::from(self.total_len) < self.data.len() {
                out.push_str(" (***total_len < data_len***)");
            }
        }
        out.push('\n');
        out.push_str(&packet_to_string(&self.data));
    }
}

fn parse(input: &[u8]) -> Parsed<'_, PacketIn> {
    let (input, buffer_id) = wire::u32(input)?;
    let (input, total_len) = wire::u16(input)?;
    let (input, reason) = wire::u8(input)?;
    let (input, table_id) = wire::u8(input)?;
    let (input, cookie) = wire::u64(input)?;
    let (input, r#match) = ofp_match::parse(input)?;
    let (input, ()) = wire::pad(2)(input)?;
    let packet_in = PacketIn {
        buffer_id,
        total_len,
        reason,
        table_id,
        cookie,
        r#match,
        data: input.to_vec(),
    };
    Ok((&[], packet_in))
}
