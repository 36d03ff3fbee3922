//! `ctswitch add-flows SWITCH FILE`: adds every flow of a file (one a
//! line; blank lines and `#` comments skipped; `-` is stdin), as
//! `ovs-ofctl -O OpenFlow13 add-flows` does.

use std::io::Read;

use openflow_codec::message::flow_mod::FlowModCommand;

use super::{flow_mods, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The file of flows, or `-` for standard input.
    pub file: String,
}

pub fn run(args: Args) -> CommandResult {
    let text = if args.file == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file))?
    };
    let flows: Vec<(String, String)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| (format!("{}:{n}: ", args.file), line.to_string()))
        .collect();
    flow_mods::send(&args.switch, &flows, FlowModCommand::Add)
}
