//! `ctswitch inject PORT PACKET`: hands a frame to dummy port PORT as if it
//! had arrived on the wire; the daemon's packet threads forward it. The
//! packet is hex, or a flow in OpenFlow or ODP syntax built into a frame
//! exactly as `ctswitch scenario` (and OVS's `compose-packet`) builds it.

use ctswitch::control::{Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;
use crate::scenario::packet;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dummy port's OpenFlow number.
    pub port: u32,
    /// The frame: hex digits from the Ethernet header on (spaces between
    /// bytes allowed, so it may span several arguments), or a flow such as
    /// `udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_src=1,tp_dst=2` (with
    /// `tcp_seq=`, `tcp_ack=`, `tcp_win=` for TCP) or an ODP flow
    /// `in_port(1),eth(...),ipv4(...),udp(...)`.
    #[arg(required = true, num_args = 1..)]
    pub packet: Vec<String>,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn run(args: Args) -> CommandResult {
    let frame = packet::build(&args.packet.join(" "))?;
    let request = Request::Inject {
        port: args.port,
        hex: ctswitch::hex::encode(&frame),
    };
    match ask(&args.socket, &request)? {
        Response::Done => Ok(()),
        other => Err(unexpected(&other).into()),
    }
}
