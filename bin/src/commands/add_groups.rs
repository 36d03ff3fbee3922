//! `ctswitch add-groups SWITCH FILE`: adds every group of a file (one a
//! line; blank lines and `#` comments skipped; `-` is stdin), as
//! `ovs-ofctl -O OpenFlow13 add-groups` does.

use openflow_codec::message::group::GroupCommand;

use super::{flow_mods, group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The file of groups, or `-` for standard input.
    pub file: String,
}

pub fn run(args: Args) -> CommandResult {
    let groups = flow_mods::file_lines(&args.file)?;
    group_mods::send_groups(&args.switch, &groups, GroupCommand::Add)
}
