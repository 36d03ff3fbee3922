//! `ctswitch dump-aggregate SWITCH [FLOW]`: the packet, byte and flow
//! counts of the flows that match, as `ovs-ofctl -O OpenFlow13
//! dump-aggregate` prints them.

use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{flow_mods, stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Which flows (match, table=, out_port=, cookie=V/M); none: all.
    pub flow: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    let request = flow_mods::stats_request(args.flow.as_deref())?;
    stats::dump_and_print(
        &args.switch,
        MpRequest::Aggregate(Box::new(request)),
        args.format.format,
    )
}
