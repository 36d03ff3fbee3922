//! The GROUP reply (per-group and per-bucket counters) and the
//! GROUP_FEATURES reply.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::format_group;
use crate::error::BadRequestCode;
use crate::message::print::format_duration;
use crate::message::wire::{self, Parsed};

/// Length of `ofp_group_stats` without buckets, and of a bucket's counters.
const GROUP_STATS_LEN: usize = 40;
const BUCKET_STATS_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStats {
    pub group_id: u32,
    pub ref_count: u32,
    pub packet_count: u64,
    pub byte_count: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    /// (packet_count, byte_count) per bucket.
    pub buckets: Vec<(u64, u64)>,
}

impl GroupStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, GroupStats> {
        let (input, len) = wire::u16(input)?;
        let (input, ()) = wire::pad(2)(input)?;
        let (input, group_id) = wire::u32(input)?;
        let (input, ref_count) = wire::u32(input)?;
        let (input, ()) = wire::pad(4)(input)?;
        let (input, packet_count) = wire::u64(input)?;
        let (input, byte_count) = wire::u64(input)?;
        let (input, duration_sec) = wire::u32(input)?;
        let (input, duration_nsec) = wire::u32(input)?;
        let bucket_bytes = usize::from(len).checked_sub(GROUP_STATS_LEN);
        let Some(bucket_bytes) = bucket_bytes.filter(|n| n.is_multiple_of(BUCKET_STATS_LEN)) else {
            return wire::fail(BadRequestCode::BadLen);
        };
        let (input, mut raw) = wire::take(bucket_bytes)(input)?;
        let mut buckets = Vec::with_capacity(bucket_bytes / BUCKET_STATS_LEN);
        while !raw.is_empty() {
            let (rest, packets) = wire::u64(raw)?;
            let (rest, bytes) = wire::u64(rest)?;
            buckets.push((packets, bytes));
            raw = rest;
        }
        let stats = GroupStats {
            group_id,
            ref_count,
            packet_count,
            byte_count,
            duration_sec,
            duration_nsec,
            buckets,
        };
        Ok((input, stats))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        let len = GROUP_STATS_LEN + BUCKET_STATS_LEN * self.buckets.len();
        out.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        out.put_u16(0);
        out.put_u32(self.group_id);
        out.put_u32(self.ref_count);
        out.put_u32(0);
        out.put_u64(self.packet_count);
        out.put_u64(self.byte_count);
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
        for (packets, bytes) in &self.buckets {
            out.put_u64(*packets);
            out.put_u64(*bytes);
        }
    }

    pub fn format(&self, out: &mut String) {
        out.push_str("\n group_id=");
        format_group(out, self.group_id);
        if self.duration_sec != u32::MAX {
            out.push_str(",duration=");
            format_duration(out, self.duration_sec, self.duration_nsec);
        }
        if self.ref_count != u32::MAX {
            let _ = write!(out, ",ref_count={}", self.ref_count);
        }
        put_counts(out, "", self.packet_count, self.byte_count);
        for (i, (packets, bytes)) in self.buckets.iter().enumerate() {
            put_counts(out, &format!("bucket{i}:"), *packets, *bytes);
        }
    }
}

/// `,packet_count=N,byte_count=N`, each left out when unknown (all ones).
fn put_counts(out: &mut String, prefix: &str, packets: u64, bytes: u64) {
    out.push(',');
    out.push_str(prefix);
    let mut parts = Vec::new();
    if packets != u64::MAX {
        parts.push(format!("packet_count={packets}"));
    }
    if bytes != u64::MAX {
        parts.push(format!("byte_count={bytes}"));
    }
    out.push_str(&parts.join(","));
}

/// The group types, in `types` bit order, as OVS names them.
const GROUP_TYPES: [&str; 4] = ["all", "select", "indirect", "fast failover"];

/// OF1.3 action types (bit numbers of the `actions` bitmaps) with OVS's
/// names, in the order OVS prints them (its own action order).
pub(super) const ACTION_BITS: &[(u32, &str)] = &[
    (0, "output"),
    (22, "group"),
    (25, "set_field"),
    (18, "strip_vlan"),
    (17, "push_vlan"),
    (23, "mod_nw_ttl"),
    (24, "dec_ttl"),
    (15, "set_mpls_ttl"),
    (16, "dec_mpls_ttl"),
    (19, "push_mpls"),
    (20, "pop_mpls"),
    (21, "set_queue"),
];

/// `ofp_group_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFeatures {
    pub types: u32,
    pub capabilities: u32,
    pub max_groups: [u32; 4],
    pub actions: [u32; 4],
}

impl GroupFeatures {
    pub fn parse(input: &[u8]) -> Parsed<'_, GroupFeatures> {
        let (mut input, types) = wire::u32(input)?;
        let (rest, capabilities) = wire::u32(input)?;
        input = rest;
        let mut max_groups = [0u32; 4];
        let mut actions = [0u32; 4];
        for v in max_groups.iter_mut().chain(actions.iter_mut()) {
            let (rest, n) = wire::u32(input)?;
            *v = n;
            input = rest;
        }
        Ok((
            input,
            GroupFeatures {
                types,
                capabilities,
                max_groups,
                actions,
            },
        ))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.types);
        out.put_u32(self.capabilities);
        for v in self.max_groups.iter().chain(self.actions.iter()) {
            out.put_u32(*v);
        }
    }

    pub fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            "\n Group table:\n    Types:  {}\n    Capabilities:  {}\n",
            hex(self.types),
            hex(self.capabilities)
        );
        for (i, name) in GROUP_TYPES.iter().enumerate() {
            if self.types & (1 << i) == 0 {
                continue;
            }
            let _ = write!(
                out,
                "    {name} group:\n       max_groups={}\n       actions: ",
                hex(self.max_groups[i])
            );
            let names: Vec<&str> = ACTION_BITS
                .iter()
                .filter(|(bit, _)| self.actions[i] & (1 << bit) != 0)
                .map(|(_, name)| *name)
                .collect();
            if names.is_empty() {
                out.push_str("<none>");
            } else {
                out.push_str(&names.join(" "));
            }
            out.push('\n');
        }
    }
}

/// C's `%#x`: `0` for zero, else `0x...`.
fn hex(v: u32) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}
