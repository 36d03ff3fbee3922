//! `ctswitch parse-flow FLOW`: parse a flow as `ovs-ofctl -O OpenFlow13
//! parse-flow` does and print the same three parts (usable protocols, the
//! chosen protocol, and the FLOW_MOD as ofp-print shows it), or with
//! `--hex` the FLOW_MOD's bytes.

use std::fmt::Write as _;

use bytes::BytesMut;
use openflow_codec::message::flow_mod::FlowModCommand;
use openflow_codec::message::print::ofp_to_string;
use openflow_codec::message::Message;
use openflow_codec::text::flow_mod::parse_flow_mod;
use openflow_codec::text::protocols::Protocols;

use super::CommandResult;

/// The xid of the message `--hex` prints. ovs-ofctl's own choice differs by
/// command (1 for parse-flow, 6 for a first add-flow), so we use 0.
const HEX_XID: u32 = 0;

/// The xid ovs-ofctl's parse-flow prints its message with.
const PRINT_XID: u32 = 1;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the OpenFlow 1.3 FLOW_MOD that `add-flow` would send, as one
    /// line of lowercase hex (xid 0), instead of describing it.
    #[arg(long)]
    hex: bool,

    /// The flow, in ovs-ofctl syntax, e.g.
    /// 'table=0,priority=100,ct_state=-trk,tcp,actions=ct(table=1)'.
    flow: String,
}

pub fn run(args: Args) -> CommandResult {
    let parsed = parse_flow_mod(&args.flow, FlowModCommand::Add)?;
    if parsed.usable.intersect(Protocols::OF13_OXM).is_empty() {
        // ovs-ofctl says which protocols could have carried it, then fails.
        outln!("usable protocols: {}", parsed.usable);
        return Err("no usable protocol".into());
    }
    let message = Message::FlowMod(parsed.flow_mod);
    if args.hex {
        let mut out = BytesMut::new();
        message.encode(HEX_XID, &mut out);
        let mut line = String::with_capacity(out.len() * 2);
        for b in out.iter() {
            let _ = write!(line, "{b:02x}");
        }
        outln!("{line}");
        return Ok(());
    }
    let mut out = BytesMut::new();
    message.encode(PRINT_XID, &mut out);
    outln!("usable protocols: {}", parsed.usable);
    outln!("chosen protocol: OXM-OpenFlow13");
    out!("{}", ofp_to_string(&out));
    Ok(())
}
