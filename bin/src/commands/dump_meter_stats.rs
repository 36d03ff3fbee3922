//! `ctswitch dump-meter-stats SWITCH [METER]` (also `meter-stats`): meter
//! and band counters, as `ovs-ofctl -O OpenFlow13 meter-stats` prints them.

use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{group_mods, stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Only this meter (`meter=N`).
    pub meter: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    let meter_id = group_mods::meter_id(args.meter.as_deref())?;
    stats::dump_and_print(
        &args.switch,
        MpRequest::Meter { meter_id },
        args.format.format,
    )
}
