//! `--format`: every listing prints as text (what OVS's tools print) or
//! as JSON.

use serde::Serialize;

use super::vconn::Received;
use super::CommandResult;
use openflow_codec::message::print::ofp_to_string;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// As ovs-ofctl / ovs-appctl print it.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// The `--format` option of a listing verb.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) -> CommandResult {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// One OpenFlow message, for JSON listings: its xid and the lines
/// ovs-ofctl prints for it.
#[derive(Debug, Serialize)]
struct PrintedMessage {
    xid: u32,
    lines: Vec<String>,
}

/// Prints OpenFlow replies as ovs-ofctl prints them, or as JSON.
pub fn print_replies(replies: &[Received], format: Format) -> CommandResult {
    match format {
        Format::Text => {
            for reply in replies {
                out!("{}", ofp_to_string(&reply.raw));
            }
            Ok(())
        }
        Format::Json => print_json(
            &replies
                .iter()
                .map(|r| PrintedMessage {
                    xid: r.header.xid,
                    lines: ofp_to_string(&r.raw).lines().map(String::from).collect(),
                })
                .collect::<Vec<_>>(),
        ),
    }
}
