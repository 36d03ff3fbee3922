//! `ctswitch port-del PORT`: removes a port from the running daemon.

use ctswitch::control::{Request, Response};
use ctswitch::daemon::port_spec::parse_port_number;

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port's OpenFlow number, or LOCAL.
    #[arg(value_parser = parse_port_number)]
    pub port: u32,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn run(args: Args) -> CommandResult {
    match ask(&args.socket, &Request::PortDel { port: args.port })? {
        Response::Done => Ok(()),
        other => Err(unexpected(&other).into()),
    }
}
