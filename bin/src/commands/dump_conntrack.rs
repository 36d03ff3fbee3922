//! `ctswitch dump-conntrack [zone=N] [-s]`: the daemon's connections, as
//! `ovs-appctl dpctl/dump-conntrack` prints them; with `--expectations`,
//! the data connections the FTP/TFTP ALGs expect instead (OVS has no
//! such dump): `tcp,orig=(..,sport=0,dport=P),master=(..),timeout=S,helper=ftp`.

use conntrack::DumpStyle;
use ctswitch::control::{Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::format::{print_json, Format, FormatArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show each connection's timeout (seconds left).
    #[arg(short = 's', long = "statistics")]
    pub stats: bool,
    /// List the ALGs' expectations (the data connections announced on
    /// FTP/TFTP control connections) instead of the connections.
    #[arg(long)]
    pub expectations: bool,
    /// Only this zone: `zone=N`.
    #[arg(value_name = "zone=N", value_parser = parse_zone)]
    pub zone: Option<u16>,
    #[command(flatten)]
    pub socket: SocketArg,
    #[command(flatten)]
    pub format: FormatArg,
}

fn parse_zone(text: &str) -> Result<u16, String> {
    text.strip_prefix("zone=")
        .and_then(|z| z.parse().ok())
        .ok_or_else(|| format!("{text}: expected zone=N with N from 0 to 65535"))
}

pub fn run(args: Args) -> CommandResult {
    if args.expectations {
        return expectations(&args);
    }
    let response = ask(&args.socket, &Request::DumpConntrack { zone: args.zone })?;
    let Response::Conntrack { connections } = response else {
        return Err(unexpected(&response).into());
    };
    if args.format.format == Format::Json {
        return print_json(&connections);
    }
    let style = DumpStyle {
        stats: args.stats,
        verbose: false,
    };
    for entry in &connections {
        outln!("{}", entry.format(style));
    }
    Ok(())
}

fn expectations(args: &Args) -> CommandResult {
    let response = ask(&args.socket, &Request::DumpExpectations { zone: args.zone })?;
    let Response::Expectations { expectations } = response else {
        return Err(unexpected(&response).into());
    };
    if args.format.format == Format::Json {
        return print_json(&expectations);
    }
    for entry in &expectations {
        outln!("{entry}");
    }
    Ok(())
}
