//! `ctswitch port-tx PORT`: the frames dummy port PORT transmitted,
//! oldest first, one hex line each (or JSON); `--clear` forgets them,
//! `--pcap FILE` also writes them to a capture file.

use ctswitch::control::{Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::format::{print_json, Format, FormatArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dummy port's OpenFlow number.
    pub port: u32,
    /// Forget the frames once read.
    #[arg(long)]
    pub clear: bool,
    /// Also write them to this pcap file (written by the daemon, so a
    /// path it can reach; relative paths are made absolute here).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub socket: SocketArg,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    let pcap = match args.pcap {
        Some(path) => Some(std::path::absolute(&path)?.display().to_string()),
        None => None,
    };
    let request = Request::Transmitted {
        port: args.port,
        clear: args.clear,
        pcap,
    };
    let response = ask(&args.socket, &request)?;
    let Response::Packets { packets } = response else {
        return Err(unexpected(&response).into());
    };
    if args.format.format == Format::Json {
        return print_json(&packets);
    }
    for packet in &packets {
        outln!("{packet}");
    }
    Ok(())
}
