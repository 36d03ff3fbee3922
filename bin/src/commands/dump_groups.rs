//! `ctswitch dump-groups SWITCH`: the switch's groups, as `ovs-ofctl -O OpenFlow13 dump-groups` prints it.

use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,

    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    stats::dump_and_print(&args.switch, MpRequest::GroupDesc, args.format.format)
}
