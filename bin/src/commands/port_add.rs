//! `ctswitch port-add PORT TYPE:NAME`: adds a port to the running
//! daemon (`dummy:NAME`, `afpacket:IFNAME`, `tap:IFNAME` or
//! `pcap:IN[,OUT]`).

use ctswitch::control::{Request, Response};
use ctswitch::daemon::port_spec::parse_port_number;

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new port's OpenFlow number (1 to 65279), or LOCAL for the
    /// bridge's own port.
    #[arg(value_parser = parse_port_number)]
    pub port: u32,
    /// What it is: `dummy:NAME`, `afpacket:IFNAME` (a Linux interface),
    /// `tap:IFNAME` (a tap interface, created unless it exists) or
    /// `pcap:IN.pcap[,OUT.pcap]` (receives IN's frames once, writes what it
    /// transmits to OUT; `pcap:,OUT.pcap` only writes; paths as the daemon
    /// sees them, no commas).
    #[arg(value_name = "TYPE:NAME")]
    pub spec: String,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn run(args: Args) -> CommandResult {
    let request = Request::PortAdd {
        port: args.port,
        spec: args.spec,
    };
    match ask(&args.socket, &request)? {
        Response::Done => Ok(()),
        other => Err(unexpected(&other).into()),
    }
}
