//! `ctswitch flush-conntrack [zone=N] [mark=X[/M]] [labels=Y[/M]]
//! [ORIG-TUPLE [REPLY-TUPLE]]`: deletes connections from the daemon's
//! tracker, with the filters of `ovs-appctl dpctl/flush-conntrack`.

use ctswitch::control::{parse_flush_filter, Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Filters: `zone=N`, `mark=X[/M]`, `labels=Y[/M]`, then up to two
    /// tuples (original, reply) such as
    /// `ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=6,ct_tp_src=1234,ct_tp_dst=80`
    /// (`ct_ipv6_src`/`ct_ipv6_dst` for IPv6; `icmp_id`, `icmp_type`,
    /// `icmp_code` for ICMP). None: every connection.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn run(args: Args) -> CommandResult {
    let filter = parse_flush_filter(&args.filters)?;
    match ask(&args.socket, &Request::FlushConntrack { filter })? {
        Response::Flushed { .. } => Ok(()),
        other => Err(unexpected(&other).into()),
    }
}
