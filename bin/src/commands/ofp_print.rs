//! `ctswitch ofp-print HEX`: decodes one OpenFlow message given in hex and
//! prints it as `ovs-ofctl ofp-print HEX` does (its default verbosity).

use openflow_codec::message::print::ofp_to_string;

use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The message as hex digits; spaces between them are ignored, so the
    /// hex may come as one argument or several.
    #[arg(required = true, num_args = 1..)]
    pub hex: Vec<String>,
}

pub fn run(args: Args) -> CommandResult {
    let bytes = parse_hex(&args.hex.concat())?;
    out!("{}", ofp_to_string(&bytes));
    Ok(())
}

/// The message's bytes. Like ovs-ofctl, anything that is not a pair of
/// hex digits is reported as trailing garbage.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    ctswitch::hex::decode(text).ok_or_else(|| "trailing garbage following hex bytes".to_string())
}
