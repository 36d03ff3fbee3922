//! `ctswitch del-meters SWITCH [METER]`: deletes a meter (`meter=N`), or
//! every meter, and the flows that use it, as `ovs-ofctl -O OpenFlow13
//! del-meters` does.

use openflow_codec::message::meter::MeterCommand;

use super::{group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Which meter (`meter=N`); none: all.
    pub meter: Option<String>,
}

pub fn run(args: Args) -> CommandResult {
    group_mods::send_meter(
        &args.switch,
        args.meter.as_deref().unwrap_or(""),
        MeterCommand::Delete,
    )
}
