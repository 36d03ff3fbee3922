//! `ctswitch mod-meter SWITCH METER`: replaces a meter's flags and bands,
//! as `ovs-ofctl -O OpenFlow13 mod-meter` does.

use openflow_codec::message::meter::MeterCommand;

use super::{group_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The meter, in ovs-ofctl's syntax.
    pub meter: String,
}

pub fn run(args: Args) -> CommandResult {
    group_mods::send_meter(&args.switch, &args.meter, MeterCommand::Modify)
}
