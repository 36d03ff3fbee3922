//! `ctswitch del-groups SWITCH [GROUP]`: deletes a group (`group_id=N`), or
//! every group, and the flows that use it, as `ovs-ofctl -O OpenFlow13
//! del-groups` does.

use openflow_codec::message::group::GroupCommand;

use super::{group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Which group (`group_id=N`); none: all.
    pub group: Option<String>,
}

pub fn run(args: Args) -> CommandResult {
    group_mods::send_groups(
        &args.switch,
        &[(String::new(), args.group.unwrap_or_default())],
        GroupCommand::Delete,
    )
}
