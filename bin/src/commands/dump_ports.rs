//! `ctswitch dump-ports SWITCH [PORT]`: port counters (every port's, or PORT's), as `ovs-ofctl -O OpenFlow13 dump-ports` prints it.

use nxm_fields::port::OFPP_ANY;
use openflow_codec::message::multipart::MpRequest;

use super::format::FormatArg;
use super::{stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// Only this port (a number).
    pub port: Option<u32>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    stats::dump_and_print(
        &args.switch,
        MpRequest::PortStats {
            port_no: args.port.unwrap_or(OFPP_ANY),
        },
        args.format.format,
    )
}
