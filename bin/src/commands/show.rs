//! `ctswitch show SWITCH`: the switch's features, ports and
//! configuration, as `ovs-ofctl -O OpenFlow13 show` prints them (three
//! exchanges: FEATURES, PORT_DESC, then GET_CONFIG on a second
//! connection).

use openflow_codec::message::multipart::MpRequest;
use openflow_codec::message::Message;

use super::format::{print_replies, FormatArg};
use super::vconn::Vconn;
use super::{stats, CommandResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> CommandResult {
    let mut vconn = Vconn::open(&args.switch)?;
    let mut replies = vec![vconn.transact(&Message::FeaturesRequest)?];
    replies.extend(vconn.dump(&stats::request(MpRequest::PortDesc))?);
    // ovs-ofctl asks for the configuration on a connection of its own.
    replies.push(vconn.reopen()?.transact(&Message::GetConfigRequest)?);
    print_replies(&replies, args.format.format)
}
