//! What add-flow(s), mod-flows and del-flows share (and the group and
//! meter verbs): strings parsed as ovs-ofctl parses them, read one a line
//! from a file, sent as OpenFlow 1.3 modifications closed by a barrier,
//! and the switch's error, if any, printed as ovs-ofctl prints it; and
//! the flow-stats request a flow string describes.

use openflow_codec::message::flow_mod::FlowModCommand;
use openflow_codec::message::multipart::flow_stats::FlowStatsRequest;
use openflow_codec::message::print::ofp_to_string;
use openflow_codec::message::Message;
use openflow_codec::text::flow_mod::parse_flow_mod;

use super::vconn::Vconn;
use super::CommandResult;

/// Parses each flow for `command` (`what` names each in errors) and sends
/// them to `switch`.
pub fn send(switch: &str, flows: &[(String, String)], command: FlowModCommand) -> CommandResult {
    let messages = flows
        .iter()
        .map(|(what, text)| {
            parse_flow_mod(text, command)
                .map(|parsed| Message::FlowMod(parsed.flow_mod))
                .map_err(|e| format!("{what}{e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    send_messages(switch, &messages)
}

/// Sends modification messages (flow, group or meter mods) to `switch`,
/// closed by a barrier; the switch's error, if any, is the result.
pub fn send_messages(switch: &str, messages: &[Message]) -> CommandResult {
    let mut vconn = Vconn::open(switch)?;
    match vconn.transact_noreply(messages)? {
        None => Ok(()),
        Some(error) => Err(ofp_to_string(&error.raw).trim_end().into()),
    }
}

/// The lines of `file` (`-`: standard input) that hold something (blank
/// lines and `#` comments skipped), each with its `FILE:LINE: ` prefix
/// for errors.
pub fn file_lines(
    file: &str,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>> {
    let text = if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?
    };
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| (format!("{file}:{n}: "), line.to_string()))
        .collect())
}

/// The command for a modify or delete, `--strict` or not.
pub fn command(strict: bool, loose: FlowModCommand, exact: FlowModCommand) -> FlowModCommand {
    if strict {
        exact
    } else {
        loose
    }
}

/// The flow-stats request for a flow string (table=, match, out_port=,
/// out_group=, cookie=V/M), as dump-flows and dump-aggregate read it.
pub fn stats_request(flow: Option<&str>) -> Result<FlowStatsRequest, String> {
    let fm = parse_flow_mod(flow.unwrap_or(""), FlowModCommand::Delete)
        .map_err(|e| e.to_string())?
        .flow_mod;
    Ok(FlowStatsRequest {
        table_id: fm.table_id,
        out_port: fm.out_port,
        out_group: fm.out_group,
        cookie: fm.cookie,
        cookie_mask: fm.cookie_mask,
        r#match: fm.r#match,
    })
}
