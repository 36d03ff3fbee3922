//! `ctswitch dump-group-features SWITCH`: the group types, capabilities
//! and limits, as `ovs-ofctl -O OpenFlow13 dump-group-features` prints them.

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
    stats::dump_and_print(&args.switch, MpRequest::GroupFeatures, args.format.format)
}
