//! Flow strings as `ovs-ofctl add-flow`, `mod-flows` and `del-flows` read
//! them: `[table=N,][priority=N,][cookie=V[/M],][timeouts,][flags,]MATCH
//! [,actions=ACTIONS]`, into a [`FlowMod`] plus the set of protocols able to
//! express it.
//!
//! The keys are handled in ovs-ofctl's order: protocol shorthands, `eth`,
//! flags, match fields, subfield matches (`reg0[0..3]=5`), then the
//! flow-level keywords. Match syntax belongs to `nxm_fields`; action syntax
//! to [`crate::action`].

use nxm_fields::port;
use nxm_fields::text::Applied;

use crate::action::text::{
    parse_table, str_to_u16, str_to_u64, KeyValues, ParseError, ParseResult,
};
use crate::action::{parse_actions_text, resolve_against_match};
use crate::error::BadActionCode;
use crate::message::flow_mod::{flags, FlowMod, FlowModCommand, OFPG_ANY, TABLE_ALL};
use crate::message::group::OFPG_ALL;
use crate::text::protocols::{self, Protocols};

/// A parsed flow string.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFlowMod {
    pub flow_mod: FlowMod,
    /// The protocols that can carry this flow-mod (`usable protocols:`).
    pub usable: Protocols,
}

/// Which flow-level keys a command takes (OVS's `F_*`).
#[derive(Debug, Clone, Copy)]
struct Keys {
    out_port: bool,
    actions: bool,
    importance: bool,
    timeouts: bool,
    priority: bool,
    flags: bool,
}

impl Keys {
    fn for_command(command: FlowModCommand) -> Keys {
        let none = Keys {
            out_port: false,
            actions: false,
            importance: false,
            timeouts: false,
            priority: false,
            flags: false,
        };
        match command {
            FlowModCommand::Add => Keys {
                actions: true,
                importance: true,
                timeouts: true,
                priority: true,
                flags: true,
                ..none
            },
            FlowModCommand::Modify | FlowModCommand::ModifyStrict => Keys {
                actions: true,
                timeouts: true,
                priority: true,
                flags: true,
                ..none
            },
            FlowModCommand::Delete => Keys {
                out_port: true,
                ..none
            },
            FlowModCommand::DeleteStrict => Keys {
                out_port: true,
                priority: true,
                ..none
            },
        }
    }
}

/// Splits off the actions: everything after the first `=` that follows the
/// first occurrence of "action" (so both `action=` and `actions=` work).
fn split_actions(text: &str) -> Option<(&str, &str)> {
    let at = text.find("action")?;
    let eq = text[at..].find('=')?;
    Some((&text[..at], &text[at + eq + 1..]))
}

/// Parses a flow string for `command`.
pub fn parse_flow_mod(text: &str, command: FlowModCommand) -> ParseResult<ParsedFlowMod> {
    let keys = Keys::for_command(command);
    let mut fm = FlowMod {
        command,
        table_id: TABLE_ALL,
        ..FlowMod::default()
    };
    let mut usable = Protocols::ANY;
    let (match_text, actions_text) = if keys.actions {
        split_actions(text).ok_or_else(|| ParseError::msg("must specify an action"))?
    } else {
        (text, "")
    };

    for (name, value) in KeyValues::new(match_text) {
        if keys.flags {
            if let Some(&(bit, _)) = flags::NAMES.iter().find(|(_, n)| *n == name) {
                fm.flags |= bit;
                usable = usable.intersect(protocols::flag_usable(bit));
                continue;
            }
        }
        if name == "no_readonly_table" || name == "allow_hidden_fields" {
            continue;
        }
        match fm
            .r#match
            .apply_text(name, Some(value))
            .map_err(|e| ParseError::msg(e.to_string()))?
        {
            Applied::Yes => {
                usable = usable.intersect(protocols::key_usable(&fm.r#match, name, Some(value)));
                continue;
            }
            Applied::NotAMatchKey => {}
        }
        if value.is_empty() {
            return Err(ParseError::msg(format!("field {name} missing value")));
        }
        flow_key(&mut fm, &mut usable, keys, name, value)?;
    }

    let mut parsed = ParsedFlowMod {
        usable: usable.intersect(protocols::match_usable(&fm.r#match)),
        flow_mod: fm,
    };
    if keys.actions {
        let mut instructions = parse_actions_text(actions_text, None)?;
        let m = &parsed.flow_mod.r#match;
        // Checking also settles the actions whose encoding depends on the
        // match (mod_tp_*, mod_vlan_*). Actions that only OpenFlow 1.0 could
        // carry with this match narrow the protocols (below) rather than
        // fail here; other faults fail.
        match resolve_against_match(&mut instructions, m, Some(parsed.flow_mod.table_id)) {
            Ok(()) | Err(ParseError::NoUsableProtocol) => {}
            Err(err) => return Err(err),
        }
        parsed.usable = parsed
            .usable
            .intersect(protocols::actions_usable(actions_text))
            .intersect(protocols::instructions_usable(&instructions, m));
        if parsed.usable.is_empty() {
            return Err(ParseError::Inconsistent(
                BadActionCode::MatchInconsistent.into(),
            ));
        }
        parsed.flow_mod.instructions = instructions;
    }
    // The rule is what the wire would carry: a field without its structural
    // prerequisites (`ip,tcp_flags=+syn`) is dropped, not matched on.
    parsed.flow_mod.r#match = parsed.flow_mod.r#match.as_encoded();
    let deletes = matches!(
        command,
        FlowModCommand::Delete | FlowModCommand::DeleteStrict
    );
    if parsed.flow_mod.table_id == TABLE_ALL && !deletes {
        // "No table" means table 0 for an addition or a modification
        // (what ovs-ofctl 3.1 sends for OpenFlow 1.1+); only a deletion
        // may name every table.
        parsed.flow_mod.table_id = 0;
    }
    Ok(parsed)
}

/// A flow-level keyword: table, out_port, out_group, priority, timeouts,
/// importance, cookie, or the dump-flows statistics ovs-ofctl ignores.
fn flow_key(
    fm: &mut FlowMod,
    usable: &mut Protocols,
    keys: Keys,
    name: &str,
    value: &str,
) -> ParseResult<()> {
    match name {
        "table" => {
            fm.table_id = parse_table(value)
                .ok_or_else(|| ParseError::msg(format!("unknown table \"{value}\"")))?;
            if fm.table_id != TABLE_ALL {
                *usable = usable.intersect(Protocols::TID);
            }
        }
        "out_port" if keys.out_port => {
            fm.out_port = port::parse_port(value)
                .ok_or_else(|| ParseError::msg(format!("{value} is not a valid OpenFlow port")))?;
        }
        "out_group" if keys.out_port => {
            *usable = usable.intersect(Protocols::OF11_UP);
            fm.out_group = parse_group(value)
                .ok_or_else(|| ParseError::msg(format!("{value} is not a valid OpenFlow group")))?;
        }
        "priority" if keys.priority => fm.priority = str_to_u16(value, name)?,
        "idle_timeout" if keys.timeouts => fm.idle_timeout = str_to_u16(value, name)?,
        "hard_timeout" if keys.timeouts => fm.hard_timeout = str_to_u16(value, name)?,
        // OpenFlow 1.3 has no importance; it is checked, then dropped.
        "importance" if keys.importance => {
            str_to_u16(value, name)?;
        }
        "cookie" => match value.split_once('/') {
            Some((v, m)) => {
                if fm.command == FlowModCommand::Add {
                    return Err(ParseError::msg("flow additions cannot use a cookie mask"));
                }
                fm.cookie = str_to_u64(v)?;
                fm.cookie_mask = str_to_u64(m)?;
                if fm.cookie_mask != 0 {
                    *usable = usable.intersect(Protocols::NXM_OF11_UP);
                }
            }
            None => {
                if matches!(
                    fm.command,
                    FlowModCommand::Delete | FlowModCommand::DeleteStrict
                ) {
                    return Err(ParseError::msg("cannot set cookie"));
                }
                fm.cookie = str_to_u64(value)?;
            }
        },
        // dump-flows output fed back in.
        "duration" | "n_packets" | "n_bytes" | "idle_age" | "hard_age" => {}
        _ => return Err(ParseError::msg(format!("unknown keyword {name}"))),
    }
    Ok(())
}

/// A group number or `ANY`/`ALL`, as ovs-ofctl reads `out_group=` and
/// `group_id=`.
pub(crate) fn parse_group(text: &str) -> Option<u32> {
    match text.to_ascii_uppercase().as_str() {
        "ANY" => Some(OFPG_ANY),
        "ALL" => Some(OFPG_ALL),
        _ => text.parse::<u32>().ok().filter(|g| *g <= 0xffff_ff00),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ParsedFlowMod, String> {
        parse_flow_mod(text, FlowModCommand::Add).map_err(|e| e.to_string())
    }

    // ovs-ofctl 3.1 -O OpenFlow13 mod-flows without a table sends table 0
    // (ofctl-capture); del-flows sends OFPTT_ALL.
    #[test]
    fn no_table_is_table_0_except_for_deletions() {
        let table = |text, command| parse_flow_mod(text, command).unwrap().flow_mod.table_id;
        let modify = "in_port=1,actions=output:4";
        assert_eq!(table(modify, FlowModCommand::Modify), 0);
        assert_eq!(table(modify, FlowModCommand::ModifyStrict), 0);
        assert_eq!(table("in_port=1", FlowModCommand::Delete), TABLE_ALL);
    }

    fn printed(text: &str) -> String {
        let mut s = String::new();
        parse(text).unwrap().flow_mod.format(&mut s);
        s
    }

    // Expectations from ovs-ofctl 3.1 `-O OpenFlow13 parse-flow`.
    #[test]
    fn flow_level_keys_land_in_the_flow_mod() {
        assert_eq!(
            printed("table=3,priority=7,cookie=0x10,idle_timeout=5,send_flow_rem,ip,actions=drop"),
            " ADD table:3 priority=7,ip cookie:0x10 idle:5 send_flow_rem actions=drop"
        );
        assert_eq!(printed("table=255,actions=drop"), " ADD actions=drop");
        assert_eq!(
            printed("importance=4,n_packets=3,actions=drop"),
            " ADD actions=drop"
        );
    }

    #[test]
    fn the_actions_start_after_the_first_action_keyword() {
        assert_eq!(printed("ip action=drop"), " ADD ip actions=drop");
        assert_eq!(parse("ip"), Err("must specify an action".into()));
    }

    #[test]
    fn faults_read_as_ovs_ofctl_reports_them() {
        assert_eq!(
            parse("foo=1,actions=drop"),
            Err("unknown keyword foo".into())
        );
        assert_eq!(
            parse("icmp4,actions=drop"),
            Err("field icmp4 missing value".into())
        );
        assert_eq!(
            parse("priority=70000,actions=drop"),
            Err("invalid priority \"70000\"".into())
        );
        assert_eq!(
            parse("cookie=1/1,actions=drop"),
            Err("flow additions cannot use a cookie mask".into())
        );
        assert_eq!(
            parse("table=x,actions=drop"),
            Err("unknown table \"x\"".into())
        );
        assert_eq!(
            parse("ip,nw_src=1.2.3,actions=drop"),
            Err("1.2.3: invalid IP address".into())
        );
    }

    #[test]
    fn fields_without_their_prerequisites_are_dropped_from_the_rule() {
        let with_flags = parse("ip,tcp_flags=+syn,actions=drop").unwrap();
        let plain = parse("ip,actions=drop").unwrap();
        assert_eq!(with_flags.flow_mod.r#match, plain.flow_mod.r#match);
        assert_eq!(with_flags.usable.to_string(), "NXM,OXM");
    }

    #[test]
    fn delete_takes_out_port_but_no_actions() {
        let del = parse_flow_mod("out_port=2,tcp", FlowModCommand::Delete).unwrap();
        assert_eq!(del.flow_mod.out_port, 2);
        assert!(parse_flow_mod("out_port=2,actions=drop", FlowModCommand::Add).is_err());
    }

    #[test]
    fn tunnel_options_encode_and_print_as_ovs_ofctl_does() {
        use bytes::BytesMut;
        let parsed = parse("tun_metadata1=0x1234/0xffff,actions=drop").unwrap();
        assert_eq!(parsed.usable.to_string(), "NXM,OXM");
        let mut out = BytesMut::new();
        parsed.flow_mod.encode(&mut out);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert!(hex.ends_with("000c000153041234ffff00000000"), "{hex}");
        let back = FlowMod::decode(&out).unwrap();
        let mut s = String::new();
        back.format(&mut s);
        assert_eq!(s, " ADD tun_metadata1=0x1234 actions=drop");
        assert_eq!(
            printed("tun_metadata0=0x1,actions=drop"),
            " ADD tun_metadata0=0x1 actions=drop"
        );
    }

    #[test]
    fn usable_protocols_narrow_with_table_and_fields() {
        assert_eq!(
            parse("table=1,actions=drop").unwrap().usable.to_string(),
            "OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11"
        );
        assert_eq!(
            parse("reg0=1,actions=drop").unwrap().usable.to_string(),
            "NXM,OXM"
        );
    }
}
