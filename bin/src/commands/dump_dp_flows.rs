//! `ctswitch dump-dp-flows`: the datapath's megaflows, as `ovs-appctl
//! dpctl/dump-flows` prints them.

use ctswitch::control::{Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::format::{print_json, Format, FormatArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub socket: SocketArg,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    let response = ask(&args.socket, &Request::DumpDpFlows)?;
    let Response::DpFlows { flows } = response else {
        return Err(unexpected(&response).into());
    };
    if args.format.format == Format::Json {
        return print_json(&flows);
    }
    for flow in &flows {
        outln!("{flow}");
    }
    Ok(())
}
