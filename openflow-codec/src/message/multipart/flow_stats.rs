//! The FLOW and AGGREGATE requests (which flows: table, out_port,
//! out_group, cookie, match), the FLOW reply (one entry per flow) and the
//! AGGREGATE reply.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::Match;

use crate::error::{BadInstructionCode, BadRequestCode};
use crate::instruction::{self, Instruction};
use crate::message::flow_mod::flags;
use crate::message::ofp_match::{self, format_with_priority};
use crate::message::port::{check_port, format_port};
use crate::message::print::format_duration;
use crate::message::wire::{self, Parsed};
use nxm_fields::port::OFPP_ANY;

/// `table_id` meaning every table.
const OFPTT_ALL: u8 = 0xff;

/// `ofp_flow_stats_request` / `ofp_aggregate_stats_request`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStatsRequest {
    pub table_id: u8,
    pub out_port: u32,
    pub out_group: u32,
    pub cookie: u64,
    pub cookie_mask: u64,
    pub r#match: Match,
}

impl FlowStatsRequest {
    pub fn parse(input: &[u8]) -> Parsed<'_, FlowStatsRequest> {
        let (input, table_id) = wire::u8(input)?;
        let (input, ()) = wire::pad(3)(input)?;
        let (input, out_port) = wire::u32(input)?;
        let (input, out_port) = wire::lift(input, check_port(out_port))?;
        let (input, out_group) = wire::u32(input)?;
        let (input, ()) = wire::pad(4)(input)?;
        let (input, cookie) = wire::u64(input)?;
        let (input, cookie_mask) = wire::u64(input)?;
        let (input, r#match) = ofp_match::parse(input)?;
        let request = FlowStatsRequest {
            table_id,
            out_port,
            out_group,
            cookie,
            cookie_mask,
            r#match,
        };
        Ok((input, request))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.table_id);
        out.put_bytes(0, 3);
        out.put_u32(self.out_port);
        out.put_u32(self.out_group);
        out.put_u32(0);
        out.put_u64(self.cookie);
        out.put_u64(self.cookie_mask);
        self.r#match.encode_ofp_match(out);
    }

    /// OVS prints the table and out_port when they select something, then
    /// the match; not the group or cookie.
    pub fn format(&self, out: &mut String) {
        if self.table_id != OFPTT_ALL {
            let _ = write!(out, " table={}", self.table_id);
        }
        if self.out_port != OFPP_ANY {
            out.push_str(" out_port=");
            format_port(self.out_port, out);
        }
        out.push(' ');
        let _ = write!(out, "{}", self.r#match);
    }
}

/// The AGGREGATE reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateStats {
    pub packet_count: u64,
    pub byte_count: u64,
    pub flow_count: u32,
}

impl AggregateStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, AggregateStats> {
        let (input, packet_count) = wire::u64(input)?;
        let (input, byte_count) = wire::u64(input)?;
        let (input, flow_count) = wire::u32(input)?;
        let (input, ()) = wire::pad(4)(input)?;
        Ok((
            input,
            AggregateStats {
                packet_count,
                byte_count,
                flow_count,
            },
        ))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u64(self.packet_count);
        out.put_u64(self.byte_count);
        out.put_u32(self.flow_count);
        out.put_u32(0);
    }

    pub fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            " packet_count={} byte_count={} flow_count={}",
            self.packet_count, self.byte_count, self.flow_count
        );
    }
}

/// Length of `ofp_flow_stats` before the match.
const FLOW_STATS_LEN: usize = 48;

/// One entry of the FLOW reply.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStats {
    pub table_id: u8,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    pub priority: u16,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub flags: u16,
    pub cookie: u64,
    pub packet_count: u64,
    pub byte_count: u64,
    pub r#match: Match,
    pub instructions: Vec<Instruction>,
}

impl FlowStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, FlowStats> {
        let (rest, len) = wire::u16(input)?;
        let len = usize::from(len);
        if len < FLOW_STATS_LEN {
            return wire::fail(BadRequestCode::BadLen);
        }
        if len > input.len() {
            // OVS finds this out when the instructions run past the end,
            // after it has read the match.
            let (_, ()) = wire::pad(FLOW_STATS_LEN - 2)(rest)?;
            let (_, _) = ofp_match::parse(input.get(FLOW_STATS_LEN..).unwrap_or_default())?;
            return wire::fail(BadInstructionCode::BadLen);
        }
        let (rest, table_id) = wire::u8(rest)?;
        let (rest, ()) = wire::pad(1)(rest)?;
        let (rest, duration_sec) = wire::u32(rest)?;
        let (rest, duration_nsec) = wire::u32(rest)?;
        let (rest, priority) = wire::u16(rest)?;
        let (rest, idle_timeout) = wire::u16(rest)?;
        let (rest, hard_timeout) = wire::u16(rest)?;
        let (rest, flags) = wire::u16(rest)?;
        let (rest, ()) = wire::pad(4)(rest)?;
        let (rest, cookie) = wire::u64(rest)?;
        let (rest, packet_count) = wire::u64(rest)?;
        let (rest, byte_count) = wire::u64(rest)?;
        let (rest, body) = wire::take(len - FLOW_STATS_LEN)(rest)?;
        let (insts, r#match) = ofp_match::parse(body)?;
        let (_, instructions) = wire::lift(&[], instruction::decode_instructions(insts))?;
        let stats = FlowStats {
            table_id,
            duration_sec,
            duration_nsec,
            priority,
            idle_timeout,
            hard_timeout,
            flags,
            cookie,
            packet_count,
            byte_count,
            r#match,
            instructions,
        };
        Ok((rest, stats))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u16(0);
        out.put_u8(self.table_id);
        out.put_u8(0);
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
        out.put_u16(self.priority);
        out.put_u16(self.idle_timeout);
        out.put_u16(self.hard_timeout);
        out.put_u16(self.flags);
        out.put_u32(0);
        out.put_u64(self.cookie);
        out.put_u64(self.packet_count);
        out.put_u64(self.byte_count);
        self.r#match.encode_ofp_match(out);
        instruction::encode_instructions(&self.instructions, out);
        wire::patch_len(out, start, start);
    }

    /// One flow as `ovs-ofctl dump-flows` prints it (with statistics).
    pub fn format(&self, out: &mut String) {
        let _ = write!(out, "\n cookie={:#x}, duration=", self.cookie);
        format_duration(out, self.duration_sec, self.duration_nsec);
        let _ = write!(
            out,
            ", table={}, n_packets={}, n_bytes={}, ",
            self.table_id, self.packet_count, self.byte_count
        );
        if self.idle_timeout != 0 {
            let _ = write!(out, "idle_timeout={}, ", self.idle_timeout);
        }
        if self.hard_timeout != 0 {
            let _ = write!(out, "hard_timeout={}, ", self.hard_timeout);
        }
        for (bit, name) in flags::NAMES {
            if self.flags & bit != 0 {
                let _ = write!(out, "{name} ");
            }
        }
        let before = out.len();
        format_with_priority(out, &self.r#match, self.priority);
        if out.len() != before {
            out.push(' ');
        }
        out.push_str("actions=");
        out.push_str(&instruction::format_instructions(&self.instructions));
    }
}
