//! Groups: OFPT_GROUP_MOD and the GROUP_DESC reply, which share the group
//! type and the bucket list.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::port::OFPP_ANY;

use super::flow_mod::OFPG_ANY;
use super::port::format_port;
use super::wire::{self, Parsed};
use crate::action::{self, Action};
use crate::error::{BadRequestCode, GroupModFailedCode, OfpError};

/// `OFPG_ALL`: every group (deletion and stats requests).
pub const OFPG_ALL: u32 = 0xffff_fffc;
/// Length of `ofp_bucket` without actions.
const BUCKET_LEN: usize = 16;
/// Length of `ofp_group_desc` without buckets.
const GROUP_DESC_LEN: usize = 8;

/// `ofp_group_type`, with OVS's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    All = 0,
    Select = 1,
    Indirect = 2,
    FastFailover = 3,
}

impl GroupType {
    fn from_wire(t: u8) -> Option<GroupType> {
        [
            GroupType::All,
            GroupType::Select,
            GroupType::Indirect,
            GroupType::FastFailover,
        ]
        .into_iter()
        .find(|g| *g as u8 == t)
    }

    /// The type `type=NAME` names (`fast_failover` is `ff`'s long name).
    pub fn from_name(name: &str) -> Option<GroupType> {
        match name {
            "all" => Some(GroupType::All),
            "select" => Some(GroupType::Select),
            "indirect" => Some(GroupType::Indirect),
            "ff" | "fast_failover" => Some(GroupType::FastFailover),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            GroupType::All => "all",
            GroupType::Select => "select",
            GroupType::Indirect => "indirect",
            GroupType::FastFailover => "ff",
        }
    }
}

/// `ofp_bucket`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub weight: u16,
    pub watch_port: u32,
    pub watch_group: u32,
    pub actions: Vec<Action>,
}

impl Bucket {
    fn parse(input: &[u8]) -> Parsed<'_, Bucket> {
        let bad = || wire::fail::<Bucket>(GroupModFailedCode::BadBucket);
        if input.len() < BUCKET_LEN {
            return bad();
        }
        let (rest, len) = wire::u16(input)?;
        let len = usize::from(len);
        if len < BUCKET_LEN || len > input.len() {
            return bad();
        }
        let (rest, weight) = wire::u16(rest)?;
        let (rest, watch_port) = wire::u32(rest)?;
        if super::port::check_port(watch_port).is_err() {
            return wire::fail(GroupModFailedCode::BadWatch);
        }
        let (rest, watch_group) = wire::u32(rest)?;
        let (rest, ()) = wire::pad(4)(rest)?;
        let (rest, raw) = wire::take(len - BUCKET_LEN)(rest)?;
        let (rest, actions) = wire::lift(rest, action::decode_actions(raw))?;
        Ok((
            rest,
            Bucket {
                weight,
                watch_port,
                watch_group,
                actions,
            },
        ))
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(self.weight);
        out.put_u32(self.watch_port);
        out.put_u32(self.watch_group);
        out.put_u32(0);
        action::encode_actions(&self.actions, out);
        wire::patch_len(out, start, start);
    }

    /// `bucket=weight:N,watch_port:P,watch_group:G,actions=...`, each
    /// option only where it says something for the group type.
    fn format(&self, out: &mut String, group_type: GroupType) {
        out.push_str(",bucket=");
        if group_type == GroupType::Select && self.weight != 1 {
            let _ = write!(out, "weight:{},", self.weight);
        }
        if self.watch_port != OFPP_ANY {
            out.push_str("watch_port:");
            format_port(self.watch_port, out);
            out.push(',');
        }
        if self.watch_group != OFPG_ANY {
            let _ = write!(out, "watch_group:{},", self.watch_group);
        }
        out.push_str("actions=");
        out.push_str(&action::format_actions(&self.actions));
    }
}

fn parse_buckets(mut input: &[u8]) -> Parsed<'_, Vec<Bucket>> {
    let mut buckets = Vec::new();
    while !input.is_empty() {
        let (rest, bucket) = Bucket::parse(input)?;
        buckets.push(bucket);
        input = rest;
    }
    Ok((input, buckets))
}

/// OVS's rules for a group's buckets: an indirect group has exactly one
/// (unless it is being deleted), only select groups weigh their buckets,
/// only fast-failover groups watch ports or groups, and they must.
fn check_buckets(
    command: GroupCommand,
    group_type: GroupType,
    buckets: &[Bucket],
) -> Result<(), nom::Err<wire::Fault>> {
    let fault = |code: GroupModFailedCode| Err(nom::Err::Failure(wire::Fault(code.into())));
    if group_type == GroupType::Indirect && command != GroupCommand::Delete && buckets.len() != 1 {
        return fault(GroupModFailedCode::InvalidGroup);
    }
    for bucket in buckets {
        if bucket.weight != 0 && group_type != GroupType::Select {
            return fault(GroupModFailedCode::InvalidGroup);
        }
        let watches = bucket.watch_port != OFPP_ANY || bucket.watch_group != OFPG_ANY;
        match group_type {
            GroupType::All | GroupType::Indirect if watches => {
                return fault(GroupModFailedCode::WatchUnsupported)
            }
            GroupType::FastFailover if !watches => return fault(GroupModFailedCode::InvalidGroup),
            _ => {}
        }
    }
    Ok(())
}

/// `group_id=N,type=T` and the buckets.
fn format_group(out: &mut String, group_id: u32, group_type: GroupType, buckets: &[Bucket]) {
    let _ = write!(out, "group_id={group_id},type={}", group_type.name());
    for bucket in buckets {
        bucket.format(out, group_type);
    }
}

/// `ofp_group_mod_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupCommand {
    Add = 0,
    Modify = 1,
    Delete = 2,
}

/// OFPT_GROUP_MOD.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMod {
    pub command: GroupCommand,
    pub group_type: GroupType,
    pub group_id: u32,
    pub buckets: Vec<Bucket>,
}

impl GroupMod {
    pub fn decode(body: &[u8]) -> Result<GroupMod, OfpError> {
        wire::run(body, |input| {
            let (input, command) = wire::u16(input)?;
            let (input, group_type) = wire::u8(input)?;
            let (input, ()) = wire::pad(1)(input)?;
            let (input, group_id) = wire::u32(input)?;
            let command = match command {
                0 => GroupCommand::Add,
                1 => GroupCommand::Modify,
                2 => GroupCommand::Delete,
                _ => return wire::fail(GroupModFailedCode::BadCommand),
            };
            let Some(group_type) = GroupType::from_wire(group_type) else {
                return wire::fail(GroupModFailedCode::BadType);
            };
            let (input, buckets) = parse_buckets(input)?;
            check_buckets(command, group_type, &buckets)?;
            Ok((
                input,
                GroupMod {
                    command,
                    group_type,
                    group_id,
                    buckets,
                },
            ))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.command as u16);
        out.put_u8(self.group_type as u8);
        out.put_u8(0);
        out.put_u32(self.group_id);
        for bucket in &self.buckets {
            bucket.encode(out);
        }
    }

    pub fn format(&self, out: &mut String) {
        out.push_str(match self.command {
            GroupCommand::Add => "\n ADD ",
            GroupCommand::Modify => "\n MOD ",
            GroupCommand::Delete => "\n DEL ",
        });
        format_group(out, self.group_id, self.group_type, &self.buckets);
    }
}

/// One entry of the GROUP_DESC reply.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDesc {
    pub group_type: GroupType,
    pub group_id: u32,
    pub buckets: Vec<Bucket>,
}

impl GroupDesc {
    pub fn parse(input: &[u8]) -> Parsed<'_, GroupDesc> {
        let (rest, len) = wire::u16(input)?;
        let len = usize::from(len);
        if len < GROUP_DESC_LEN || len > input.len() {
            return wire::fail(BadRequestCode::BadLen);
        }
        let (rest, group_type) = wire::u8(rest)?;
        let (rest, ()) = wire::pad(1)(rest)?;
        let (rest, group_id) = wire::u32(rest)?;
        let (rest, raw) = wire::take(len - GROUP_DESC_LEN)(rest)?;
        // OVS looks at the buckets before the type.
        let buckets =
            wire::run(raw, parse_buckets).map_err(|e| nom::Err::Failure(wire::Fault(e)))?;
        let Some(group_type) = GroupType::from_wire(group_type) else {
            return wire::fail(GroupModFailedCode::BadType);
        };
        Ok((
            rest,
            GroupDesc {
                group_type,
                group_id,
                buckets,
            },
        ))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u16(0);
        out.put_u8(self.group_type as u8);
        out.put_u8(0);
        out.put_u32(self.group_id);
        for bucket in &self.buckets {
            bucket.encode(out);
        }
        wire::patch_len(out, start, start);
    }

    pub fn format(&self, out: &mut String) {
        out.push_str("\n ");
        format_group(out, self.group_id, self.group_type, &self.buckets);
    }
}
