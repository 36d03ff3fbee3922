//! `ctswitch dump-group-stats SWITCH [GROUP]`: group and bucket counters,
//! as `ovs-ofctl -O OpenFlow13 dump-group-stats` prints them.

use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{group_mods, stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Only this group (`group_id=N`).
    pub group: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    let group_id = group_mods::group_id(args.group.as_deref())?;
    stats::dump_and_print(
        &args.switch,
        MpRequest::Group { group_id },
        args.format.format,
    )
}
