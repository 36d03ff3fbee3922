//! `ctswitch mod-group SWITCH GROUP`: replaces a group's type and buckets,
//! as `ovs-ofctl -O OpenFlow13 mod-group` does.

use openflow_codec::message::group::GroupCommand;

use super::{group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The group, in ovs-ofctl's syntax.
    pub group: String,
}

pub fn run(args: Args) -> CommandResult {
    group_mods::send_groups(
        &args.switch,
        &[(String::new(), args.group)],
        GroupCommand::Modify,
    )
}
