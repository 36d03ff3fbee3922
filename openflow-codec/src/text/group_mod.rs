//! Group strings as `ovs-ofctl add-group`, `mod-group` and `del-groups`
//! read them: `group_id=N,type=T[,selection_method=..][,bucket=B]...`,
//! where a bucket is `[bucket_id:N,][weight:W,][watch_port:P,]
//! [watch_group:G,][actions=]ACTIONS`.
//!
//! OpenFlow 1.3 carries neither bucket ids nor selection methods, so, as
//! ovs-ofctl does for 1.3, they are checked and then dropped.

use nxm_fields::port::{self, OFPP_ANY};

use crate::action::parse_action_list_text;
use crate::action::text::{str_to_u16, str_to_u32, KeyValues, ParseError, ParseResult};
use crate::message::flow_mod::OFPG_ANY;
use crate::message::group::{Bucket, GroupCommand, GroupMod, GroupType, OFPG_ALL};
use crate::text::flow_mod::parse_group;

/// Parses a group string for `command`. A deletion needs neither a type
/// nor a group id (all groups); the others need both.
pub fn parse_group_mod(text: &str, command: GroupCommand) -> ParseResult<GroupMod> {
    let (head, buckets_text) = match text.find("bucket=") {
        Some(at) => (&text[..at], Some(&text[at..])),
        None => (text, None),
    };
    let mut group_id = None;
    let mut group_type = None;
    for (key, value) in KeyValues::new(head) {
        match key {
            "group_id" => {
                group_id = Some(
                    parse_group(value)
                        .ok_or_else(|| ParseError::msg(format!("invalid group id {value}")))?,
                );
            }
            "type" => {
                group_type = Some(
                    GroupType::from_name(value)
                        .ok_or_else(|| ParseError::msg(format!("invalid group type {value}")))?,
                );
            }
            // Only OpenFlow 1.5 carries these.
            "selection_method" | "selection_method_param" | "fields" | "command_bucket_id" => {}
            _ => return Err(ParseError::msg(format!("unknown keyword {key}"))),
        }
    }
    let (group_id, group_type) = if command == GroupCommand::Delete {
        (
            group_id.unwrap_or(OFPG_ALL),
            group_type.unwrap_or(GroupType::All),
        )
    } else {
        (
            group_id.ok_or_else(|| ParseError::msg("must specify a group_id"))?,
            group_type.ok_or_else(|| ParseError::msg("must specify a type"))?,
        )
    };
    let buckets = match buckets_text {
        Some(text) => text
            .split("bucket=")
            .skip(1)
            .map(|b| parse_bucket(b, group_type))
            .collect::<ParseResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(GroupMod {
        command,
        group_type,
        group_id,
        buckets,
    })
}

/// One bucket: its options, and every other key taken as an action.
fn parse_bucket(text: &str, group_type: GroupType) -> ParseResult<Bucket> {
    let mut bucket = Bucket {
        weight: u16::from(group_type == GroupType::Select),
        watch_port: OFPP_ANY,
        watch_group: OFPG_ANY,
        actions: Vec::new(),
    };
    let mut actions: Vec<&str> = Vec::new();
    for (key, value) in KeyValues::new(text) {
        match key {
            "weight" => {
                if group_type != GroupType::Select {
                    return Err(ParseError::msg(
                        "Only select groups can have bucket weights.",
                    ));
                }
                bucket.weight = str_to_u16(value, key)?;
            }
            "watch_port" => {
                bucket.watch_port = port::parse_port(value)
                    .filter(|p| *p != port::OFPP_ANY || value.eq_ignore_ascii_case("any"))
                    .ok_or_else(|| ParseError::msg(format!("{value}: invalid watch_port")))?;
            }
            "watch_group" => {
                bucket.watch_group = str_to_u32(value)?;
            }
            "bucket_id" => {
                str_to_u32(value)?;
            }
            "action" | "actions" => actions.push(value),
            _ => actions.push(raw_pair(text, key, value)),
        }
    }
    if actions.is_empty() {
        return Err(ParseError::msg("bucket must specify actions"));
    }
    // As ovs-ofctl 3.1 refuses it before sending anything.
    if group_type == GroupType::FastFailover
        && bucket.watch_port == OFPP_ANY
        && bucket.watch_group == OFPG_ANY
    {
        return Err(ParseError::msg(
            "fast failover bucket requires watch_port or watch_group",
        ));
    }
    bucket.actions = parse_action_list_text(&actions.join(","))?;
    Ok(bucket)
}

/// The text of `key[:=(]value[)]` as written in `text`, of which `key`
/// and `value` are slices.
fn raw_pair<'a>(text: &'a str, key: &'a str, value: &str) -> &'a str {
    let offset = |s: &str| (s.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let start = offset(key);
    let mut end = if value.is_empty() {
        start + key.len()
    } else {
        offset(value) + value.len()
    };
    if text
        .get(start + key.len()..)
        .is_some_and(|t| t.starts_with('('))
        && text.get(end..).is_some_and(|t| t.starts_with(')'))
    {
        end += 1;
    }
    text.get(start..end).unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;

    fn encode(text: &str, command: GroupCommand) -> String {
        let gm = parse_group_mod(text, command).expect(text);
        let mut out = BytesMut::new();
        gm.encode(&mut out);
        out.iter().map(|b| format!("{b:02x}")).collect()
    }

    // Bodies (after the OpenFlow header) from `ovs-ofctl -O OpenFlow13
    // -mmmmm parse-group` and ofctl-capture, OVS 3.1.
    #[test]
    fn groups_encode_as_ovs_ofctl_sends_them() {
        let cases = [
            (
                "group_id=1,type=all,bucket=output:1,bucket=output:2",
                GroupCommand::Add,
                "000000000000000100200000ffffffffffffffff0000000000000010000000010000000000000000\
                 00200000ffffffffffffffff0000000000000010000000020000000000000000",
            ),
            (
                "group_id=2,type=select,bucket=weight:10,actions=output:1,bucket=weight:20,output:2",
                GroupCommand::Add,
                "00000100000000020020000affffffffffffffff0000000000000010000000010000000000000000\
                 00200014ffffffffffffffff0000000000000010000000020000000000000000",
            ),
            (
                "group_id=4,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2",
                GroupCommand::Add,
                "00000300000000040020000000000001ffffffff0000000000000010000000010000000000000000\
                 0020000000000002ffffffff0000000000000010000000020000000000000000",
            ),
            (
                "group_id=5,type=select,selection_method=hash,bucket=output:1",
                GroupCommand::Add,
                "000001000000000500200001ffffffffffffffff0000000000000010000000010000000000000000",
            ),
            (
                "group_id=6,type=all,bucket=bucket_id:3,output:1",
                GroupCommand::Add,
                "000000000000000600200000ffffffffffffffff0000000000000010000000010000000000000000",
            ),
            (
                "group_id=1,type=all,bucket=output:1",
                GroupCommand::Modify,
                "000100000000000100200000ffffffffffffffff0000000000000010000000010000000000000000",
            ),
            ("", GroupCommand::Delete, "00020000fffffffc"),
            ("group_id=3", GroupCommand::Delete, "0002000000000003"),
        ];
        for (text, command, hex) in cases {
            assert_eq!(encode(text, command), hex, "{text}");
        }
    }

    #[test]
    fn watch_port_after_actions_is_still_an_option() {
        let gm = parse_group_mod(
            "group_id=1,type=select,bucket=actions=1,watch_port:2",
            GroupCommand::Add,
        )
        .expect("parses");
        assert_eq!(gm.buckets.first().map(|b| b.watch_port), Some(2));
    }

    // Messages from ovs-ofctl 3.1.
    #[test]
    fn bad_groups_fail_as_ovs_ofctl_does() {
        let cases = [
            ("group_id=1,bucket=output:1", "must specify a type"),
            ("type=all,bucket=output:1", "must specify a group_id"),
            ("group_id=1,type=foo", "invalid group type foo"),
            (
                "group_id=1,type=all,bucket=weight:5,output:1",
                "Only select groups can have bucket weights.",
            ),
            (
                "group_id=1,type=all,bucket=output:1,goto_table:1",
                "goto_table instruction not allowed here",
            ),
            ("group_id=1,type=all,bucket=", "bucket must specify actions"),
            ("group_id=1,type=ff,bucket=", "bucket must specify actions"),
            (
                "group_id=1,type=ff,bucket=output:1",
                "fast failover bucket requires watch_port or watch_group",
            ),
            (
                "group_id=4294967041,type=all,bucket=output:1",
                "invalid group id 4294967041",
            ),
            ("group_id=1,type=all,foo=1", "unknown keyword foo"),
        ];
        for (text, message) in cases {
            let err = parse_group_mod(text, GroupCommand::Add).expect_err(text);
            assert_eq!(err.to_string(), message, "{text}");
        }
    }
}
