//! OFPT_FLOW_REMOVED: a flow expired or was deleted.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::Match;

use super::ofp_match::{self, format_with_priority};
use super::print::format_duration;
use super::wire::{self, Parsed};
use crate::error::OfpError;

/// `ofp_flow_removed_reason` names, by value, as OVS prints them.
const REASONS: [&str; 6] = [
    "idle",
    "hard",
    "delete",
    "group_delete",
    "meter_delete",
    "eviction",
];

#[derive(Debug, Clone, PartialEq)]
pub struct FlowRemoved {
    pub cookie: u64,
    pub priority: u16,
    pub reason: u8,
    pub table_id: u8,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub packet_count: u64,
    pub byte_count: u64,
    pub r#match: Match,
}

impl FlowRemoved {
    pub fn decode(body: &[u8]) -> Result<FlowRemoved, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u64(self.cookie);
        out.put_u16(self.priority);
        out.put_u8(self.reason);
        out.put_u8(self.table_id);
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
        out.put_u16(self.idle_timeout);
        out.put_u16(self.hard_timeout);
        out.put_u64(self.packet_count);
        out.put_u64(self.byte_count);
        self.r#match.encode_ofp_match(out);
    }

    pub fn format(&self, out: &mut String) {
        out.push(' ');
        format_with_priority(out, &self.r#match, self.priority);
        match REASONS.get(usize::from(self.reason)) {
            Some(name) => {
                let _ = write!(out, " reason={name}");
            }
            None => {
                let _ = write!(out, " reason={}", self.reason);
            }
        }
        if self.table_id != 0xff {
            let _ = write!(out, " table_id={}", self.table_id);
        }
        if self.cookie != 0 {
            let _ = write!(out, " cookie:{:#x}", self.cookie);
        }
        out.push_str(" duration");
        format_duration(out, self.duration_sec, self.duration_nsec);
        let _ = write!(out, " idle{}", self.idle_timeout);
        if self.hard_timeout != 0 {
            let _ = write!(out, " hard{}", self.hard_timeout);
        }
        let _ = write!(out, " pkts{} bytes{}", self.packet_count, self.byte_count);
    }
}

fn parse(input: &[u8]) -> Parsed<'_, FlowRemoved> {
    let (input, cookie) = wire::u64(input)?;
    let (input, priority) = wire::u16(input)?;
    let (input, reason) = wire::u8(input)?;
    let (input, table_id) = wire::u8(input)?;
    let (input, duration_sec) = wire::u32(input)?;
    let (input, duration_nsec) = wire::u32(input)?;
    let (input, idle_timeout) = wire::u16(input)?;
    let (input, hard_timeout) = wire::u16(input)?;
    let (input, packet_count) = wire::u64(input)?;
    let (input, byte_count) = wire::u64(input)?;
    let (input, r#match) = ofp_match::parse(input)?;
    let removed = FlowRemoved {
        cookie,
        priority,
        reason,
        table_id,
        duration_sec,
        duration_nsec,
        idle_timeout,
        hard_timeout,
        packet_count,
        byte_count,
        r#match,
    };
    Ok((input, removed))
}
