//! `ctswitch dump-meters SWITCH [METER]`: the switch's meters, as `ovs-ofctl -O OpenFlow13 dump-meters` prints it.

use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{group_mods, stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Only this meter (`meter=N`, or just N).
    pub meter: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    stats::dump_and_print(
        &args.switch,
        MpRequest::MeterConfig {
            meter_id: group_mods::meter_id(args.meter.as_deref())?,
        },
        args.format.format,
    )
}
