//! `ctswitch dump-flows SWITCH [FLOW]`: the flows that match, as
//! `ovs-ofctl -O OpenFlow13 dump-flows` prints them: each reply message
//! as it comes with statistics, one line per flow without (`--no-stats`),
//! or JSON.

use openflow_codec::instruction::format_instructions;
use openflow_codec::message::flow_mod::flags;
use openflow_codec::message::multipart::flow_stats::FlowStats;
use openflow_codec::message::multipart::{MpReply, MpRequest};
use openflow_codec::message::ofp_match::format_with_priority;
use openflow_codec::message::print::ofp_to_string;
use openflow_codec::message::Message;
use serde::Serialize;

use super::format::{print_json, Format, FormatArg};
use super::vconn::{Received, Vconn};
use super::{flow_mods, stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Leave out cookies, durations and counters.
    #[arg(long)]
    pub no_stats: bool,
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Which flows (match, table=, out_port=, cookie=V/M); none: all.
    pub flow: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// A flow in a JSON listing.
#[derive(Debug, Serialize)]
struct JsonFlow {
    table: u8,
    priority: u16,
    cookie: String,
    duration_secs: f64,
    n_packets: u64,
    n_bytes: u64,
    idle_timeout: u16,
    hard_timeout: u16,
    #[serde(rename = "match")]
    r#match: String,
    actions: String,
}

pub fn run(args: Args) -> CommandResult {
    let request = flow_mods::stats_request(args.flow.as_deref())?;
    let replies =
        Vconn::open(&args.switch)?.dump(&stats::request(MpRequest::Flow(Box::new(request))))?;
    if args.format.format == Format::Text && !args.no_stats {
        for reply in &replies {
            out!("{}", ofp_to_string(&reply.raw));
        }
        return Ok(());
    }
    let flows = flows(&replies)?;
    if args.format.format == Format::Json {
        return print_json(&flows.iter().map(json_flow).collect::<Vec<_>>());
    }
    for flow in &flows {
        outln!(" {}", without_stats(flow));
    }
    Ok(())
}

/// The flows of every reply; an error reply ends the command.
fn flows(replies: &[Received]) -> Result<Vec<FlowStats>, String> {
    let mut flows = Vec::new();
    for reply in replies {
        match Message::decode(&reply.raw) {
            Ok((_, Message::MultipartReply(r))) => {
                if let MpReply::Flow(list) = r.body {
                    flows.extend(list);
                }
            }
            _ => return Err(ofp_to_string(&reply.raw).trim_end().to_string()),
        }
    }
    Ok(flows)
}

/// A flow as ovs-ofctl prints it with `--no-stats`.
fn without_stats(flow: &FlowStats) -> String {
    let mut out = String::new();
    if flow.cookie != 0 {
        out.push_str(&format!("cookie={:#x}, ", flow.cookie));
    }
    if flow.table_id != 0 {
        out.push_str(&format!("table={}, ", flow.table_id));
    }
    if flow.idle_timeout != 0 {
        out.push_str(&format!("idle_timeout={}, ", flow.idle_timeout));
    }
    if flow.hard_timeout != 0 {
        out.push_str(&format!("hard_timeout={}, ", flow.hard_timeout));
    }
    for (bit, name) in flags::NAMES {
        if flow.flags & bit != 0 {
            out.push_str(name);
            out.push(' ');
        }
    }
    format_with_priority(&mut out, &flow.r#match, flow.priority);
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
    out.push_str("actions=");
    out.push_str(&format_instructions(&flow.instructions));
    out
}

fn json_flow(flow: &FlowStats) -> JsonFlow {
    JsonFlow {
        table: flow.table_id,
        priority: flow.priority,
        cookie: format!("{:#x}", flow.cookie),
        duration_secs: f64::from(flow.duration_sec) + f64::from(flow.duration_nsec) / 1e9,
        n_packets: flow.packet_count,
        n_bytes: flow.byte_count,
        idle_timeout: flow.idle_timeout,
        hard_timeout: flow.hard_timeout,
        r#match: flow.r#match.to_string(),
        actions: format_instructions(&flow.instructions),
    }
}
