//! What add-flow(s), mod-flows and del-flows share: flow strings parsed
//! as ovs-ofctl parses them, sent as OpenFlow 1.3 flow-mods closed by a
//! barrier, and the switch's error, if any, printed as ovs-ofctl prints
//! it; and the flow-stats request a flow string describes.

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
    let mut vconn = Vconn::open(switch)?;
    match vconn.transact_noreply(&messages)? {
        None => Ok(()),
        Some(error) => Err(ofp_to_string(&error.raw).trim_end().into()),
    }
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
