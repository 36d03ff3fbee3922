//! `ctswitch del-flows SWITCH [FLOW]`: deletes the flows that match
//! (every flow without FLOW), as `ovs-ofctl -O OpenFlow13 del-flows` does.

use openflow_codec::message::flow_mod::FlowModCommand;

use super::{flow_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delete only the flow with exactly this match and priority.
    #[arg(long)]
    pub strict: bool,
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Which flows (match, table=, out_port=, cookie=V/M); none: all.
    pub flow: Option<String>,
}

pub fn run(args: Args) -> CommandResult {
    let command = flow_mods::command(
        args.strict,
        FlowModCommand::Delete,
        FlowModCommand::DeleteStrict,
    );
    flow_mods::send(
        &args.switch,
        &[(String::new(), args.flow.unwrap_or_default())],
        command,
    )
}
