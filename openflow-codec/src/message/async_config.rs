//! OFPT_GET_ASYNC_REPLY and OFPT_SET_ASYNC: which asynchronous messages a
//! controller gets, for the primary/equal and the secondary role.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::wire::{self, Parsed};
use crate::error::OfpError;

/// `ofp_async_config`: index 0 is primary/equal, 1 is secondary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncConfig {
    pub packet_in_mask: [u32; 2],
    pub port_status_mask: [u32; 2],
    pub flow_removed_mask: [u32; 2],
}

/// Reason names as OVS prints them, by bit number. OVS knows more reasons
/// than OpenFlow 1.3 defines and prints them when their bits are set.
const PACKET_IN_REASONS: &[&str] = &[
    "no_match",
    "action",
    "invalid_ttl",
    "action_set",
    "group",
    "packet_out",
];
const PORT_STATUS_REASONS: &[&str] = &["add", "delete", "modify"];
const FLOW_REMOVED_REASONS: &[&str] = &[
    "idle",
    "hard",
    "delete",
    "group_delete",
    "meter_delete",
    "eviction",
];

impl AsyncConfig {
    pub fn decode(body: &[u8]) -> Result<AsyncConfig, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        for mask in [
            self.packet_in_mask,
            self.port_status_mask,
            self.flow_removed_mask,
        ] {
            out.put_u32(mask[0]);
            out.put_u32(mask[1]);
        }
    }

    pub fn format(&self, out: &mut String) {
        for (i, role) in ["primary", "secondary"].iter().enumerate() {
            let _ = writeln!(out, "\n {role}:");
            put_reasons(
                out,
                "PACKET_IN",
                self.packet_in_mask[i] & 0x7,
                PACKET_IN_REASONS,
            );
            put_reasons(
                out,
                "PORT_STATUS",
                self.port_status_mask[i],
                PORT_STATUS_REASONS,
            );
            put_reasons(
                out,
                "FLOW_REMOVED",
                self.flow_removed_mask[i],
                FLOW_REMOVED_REASONS,
            );
            for name in ["ROLE_STATUS", "TABLE_STATUS", "REQUESTFORWARD"] {
                put_reasons(out, name, 0, &[]);
            }
        }
        if out.ends_with('\n') {
            out.pop();
        }
    }
}

fn put_reasons(out: &mut String, what: &str, mask: u32, names: &[&str]) {
    let _ = write!(out, "{what:>16}:");
    let set: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if set.is_empty() {
        out.push_str(" (off)");
    } else {
        for name in set {
            let _ = write!(out, " {name}");
        }
    }
    out.push('\n');
}

fn parse(input: &[u8]) -> Parsed<'_, AsyncConfig> {
    let (input, p0) = wire::u32(input)?;
    let (input, p1) = wire::u32(input)?;
    let (input, s0) = wire::u32(input)?;
    let (input, s1) = wire::u32(input)?;
    let (input, f0) = wire::u32(input)?;
    let (input, f1) = wire::u32(input)?;
    Ok((
        input,
        AsyncConfig {
            packet_in_mask: [p0, p1],
            port_status_mask: [s0, s1],
            flow_removed_mask: [f0, f1],
        },
    ))
}
