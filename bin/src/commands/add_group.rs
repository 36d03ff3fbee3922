//! `ctswitch add-group SWITCH GROUP`: adds a group, as `ovs-ofctl -O
//! OpenFlow13 add-group` does.

use openflow_codec::message::group::GroupCommand;

use super::{group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The group, in ovs-ofctl's syntax (e.g. `group_id=1,type=all,bucket=output:1,bucket=output:2`).
    pub group: String,
}

pub fn run(args: Args) -> CommandResult {
    group_mods::send_groups(
        &args.switch,
        &[(String::new(), args.group)],
        GroupCommand::Add,
    )
}
