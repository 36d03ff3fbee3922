//! `ctswitch inject PORT HEX`: hands a frame to dummy port PORT as if it
//! had arrived on the wire; the daemon's packet threads forward it.

use ctswitch::control::{Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dummy port's OpenFlow number.
    pub port: u32,
    /// The frame as hex digits, from the Ethernet header on (spaces
    /// between bytes allowed, so it may span several arguments).
    #[arg(required = true, num_args = 1..)]
    pub hex: Vec<String>,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn run(args: Args) -> CommandResult {
    let request = Request::Inject {
        port: args.port,
        hex: args.hex.concat(),
    };
    match ask(&args.socket, &request)? {
        Response::Done => Ok(()),
        other => Err(unexpected(&other).into()),
    }
}
