//! `ctswitch dump-meters SWITCH [METER]`: the switch's meters, as `ovs-ofctl -O OpenFlow13 dump-meters` prints it.

use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{stats, CommandResult};

/// `OFPM_ALL`: every meter.
const OFPM_ALL: u32 = 0xffff_ffff;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Only this meter.
    pub meter: Option<u32>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    stats::dump_and_print(
        &args.switch,
        MpRequest::MeterConfig {
            meter_id: args.meter.unwrap_or(OFPM_ALL),
        },
        args.format.format,
    )
}
