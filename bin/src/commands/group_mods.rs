//! What the group and meter verbs share: a group or meter string parsed
//! as ovs-ofctl parses it and sent as a GROUP_MOD or METER_MOD, and the
//! ids a statistics verb's optional `group_id=N` / `meter=N` names.

use openflow_codec::message::group::GroupCommand;
use openflow_codec::message::meter::MeterCommand;
use openflow_codec::message::Message;
use openflow_codec::text::group_mod::parse_group_mod;
use openflow_codec::text::meter_mod::parse_meter_mod;

use super::{flow_mods, CommandResult};

/// Parses each group (`what` names it in errors) for `command` and sends
/// them to `switch`.
pub fn send_groups(
    switch: &str,
    groups: &[(String, String)],
    command: GroupCommand,
) -> CommandResult {
    let messages = groups
        .iter()
        .map(|(what, text)| {
            parse_group_mod(text, command)
                .map(Message::GroupMod)
                .map_err(|e| format!("{what}{e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    flow_mods::send_messages(switch, &messages)
}

/// Parses a meter for `command` and sends it to `switch`.
pub fn send_meter(switch: &str, text: &str, command: MeterCommand) -> CommandResult {
    let mm = parse_meter_mod(text, command).map_err(|e| e.to_string())?;
    flow_mods::send_messages(switch, &[Message::MeterMod(mm)])
}

/// The group a `group_id=N` string names; none: all groups.
pub fn group_id(text: Option<&str>) -> Result<u32, String> {
    parse_group_mod(text.unwrap_or(""), GroupCommand::Delete)
        .map(|gm| gm.group_id)
        .map_err(|e| e.to_string())
}

/// The meter a `meter=N` string (or a bare number) names; none: all.
pub fn meter_id(text: Option<&str>) -> Result<u32, String> {
    if let Some(id) = text.and_then(|t| t.parse::<u32>().ok()) {
        return Ok(id);
    }
    parse_meter_mod(text.unwrap_or(""), MeterCommand::Delete)
        .map(|mm| mm.config.meter_id)
        .map_err(|e| e.to_string())
}
