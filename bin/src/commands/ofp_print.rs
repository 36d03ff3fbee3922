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
    print!("{}", ofp_to_string(&bytes));
    Ok(())
}

/// Hex digits, with any whitespace between bytes, to bytes. Like
/// ovs-ofctl, anything that is not a pair of hex digits is reported as
/// trailing garbage.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let garbage = || "trailing garbage following hex bytes".to_string();
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(garbage());
    }
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).map_err(|_| garbage())?;
            u8::from_str_radix(pair, 16).map_err(|_| garbage())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_and_without_spaces() {
        assert_eq!(parse_hex("04 00 0008"), Ok(vec![4, 0, 0, 8]));
        assert!(parse_hex("040").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
