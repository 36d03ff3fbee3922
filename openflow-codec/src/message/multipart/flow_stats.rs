//! The FLOW and AGGREGATE requests (which flows: table, out_port,
//! out_group, cookie, match) and the AGGREGATE reply.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::Match;

use crate::message::ofp_match;
use crate::message::port::{check_port, format_port};
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
