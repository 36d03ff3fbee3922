//! `ctswitch add-flows SWITCH FILE`: adds every flow of a file (one a
//! line; blank lines and `#` comments skipped; `-` is stdin), as
//! `ovs-ofctl -O OpenFlow13 add-flows` does.

use openflow_codec::message::flow_mod::FlowModCommand;

use super::{flow_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The file of flows, or `-` for standard input.
    pub file: String,
}

pub fn run(args: Args) -> CommandResult {
    let flows = flow_mods::file_lines(&args.file)?;
    flow_mods::send(&args.switch, &flows, FlowModCommand::Add)
}
