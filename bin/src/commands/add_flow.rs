//! `ctswitch add-flow SWITCH FLOW`: adds one flow, as `ovs-ofctl -O
//! OpenFlow13 add-flow` does.

use openflow_codec::message::flow_mod::FlowModCommand;

use super::{flow_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The flow, in ovs-ofctl's syntax (e.g. `priority=10,ip,actions=ct(table=1)`).
    pub flow: String,
}

pub fn run(args: Args) -> CommandResult {
    flow_mods::send(
        &args.switch,
        &[(String::new(), args.flow)],
        FlowModCommand::Add,
    )
}
