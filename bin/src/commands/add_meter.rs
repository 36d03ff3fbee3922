//! `ctswitch add-meter SWITCH METER`: adds a meter, as `ovs-ofctl -O OpenFlow13 add-meter` does.

use openflow_codec::message::meter::MeterCommand;

use super::{group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The meter, in ovs-ofctl's syntax (e.g. `meter=1,kbps,bands=type=drop,rate=1000`).
    pub meter: String,
}

pub fn run(args: Args) -> CommandResult {
    group_mods::send_meter(&args.switch, &args.meter, MeterCommand::Add)
}
