//! `ctswitch mod-flows SWITCH FLOW`: changes the actions of the flows
//! that match, as `ovs-ofctl -O OpenFlow13 mod-flows` does.

use openflow_codec::message::flow_mod::FlowModCommand;

use super::{flow_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Modify only the flow with exactly this match and priority.
    #[arg(long)]
    pub strict: bool,
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The match and the new actions (e.g. `table=2,actions=drop`).
    pub flow: String,
}

pub fn run(args: Args) -> CommandResult {
    let command = flow_mods::command(
        args.strict,
        FlowModCommand::Modify,
        FlowModCommand::ModifyStrict,
    );
    flow_mods::send(&args.switch, &[(String::new(), args.flow)], command)
}
