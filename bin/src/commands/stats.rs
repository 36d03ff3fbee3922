//! What the statistics verbs share: one multipart request, its whole
//! reply printed as ovs-ofctl prints it (an error reply included, on
//! stdout, as ovs-ofctl's `dump_transaction` does).

use openflow_codec::message::multipart::{MpRequest, MultipartRequest};
use openflow_codec::message::Message;

use super::format::{print_replies, Format};
use super::vconn::Vconn;
use super::CommandResult;

/// The multipart request with `body`.
pub fn request(body: MpRequest) -> Message {
    Message::MultipartRequest(MultipartRequest { flags: 0, body })
}

/// Sends the request for `body` to `switch` and prints the reply.
pub fn dump_and_print(switch: &str, body: MpRequest, format: Format) -> CommandResult {
    let replies = Vconn::open(switch)?.dump(&request(body))?;
    print_replies(&replies, format)
}
