//! `ctswitch packet-out SWITCH IN_PORT ACTIONS PACKET...`: sends frames
//! (hex) through the switch with the given actions, as `ovs-ofctl -O
//! OpenFlow13 packet-out` does; `output:TABLE` (or `resubmit`) runs the
//! OpenFlow pipeline. The switch's error, if any, is printed.

use nxm_fields::port::parse_port;
use openflow_codec::action::parse_actions_text;
use openflow_codec::instruction::Instruction;
use openflow_codec::message::packet_out::{PacketOut, NO_BUFFER};
use openflow_codec::message::print::ofp_to_string;
use openflow_codec::message::Message;

use super::vconn::Vconn;
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The switch: tcp:IP[:PORT] or unix:PATH.
    pub switch: String,
    /// The port the frames are taken to have come in on (a number, or
    /// LOCAL, CONTROLLER, NONE...).
    pub in_port: String,
    /// The actions, in ovs-ofctl's syntax (e.g. `output:2` or
    /// `resubmit(,0)`).
    pub actions: String,
    /// Each frame as hex digits, from the Ethernet header on.
    #[arg(required = true)]
    pub packets: Vec<String>,
}

pub fn run(args: Args) -> CommandResult {
    let in_port = parse_port(&args.in_port)
        .ok_or_else(|| format!("{}: not a port number or name", args.in_port))?;
    let mut actions = Vec::new();
    for inst in parse_actions_text(&args.actions, None).map_err(|e| e.to_string())? {
        match inst {
            Instruction::ApplyActions(list) => actions.extend(list),
            _ => {
                return Err(format!(
                    "{}: packet-out takes actions, not instructions",
                    args.actions
                )
                .into())
            }
        }
    }
    let messages = args
        .packets
        .iter()
        .map(|hex| {
            let data = ctswitch::hex::decode(hex)
                .filter(|d| !d.is_empty())
                .ok_or_else(|| format!("{hex}: a packet is hex digits"))?;
            Ok(Message::PacketOut(PacketOut {
                buffer_id: NO_BUFFER,
                in_port,
                actions: actions.clone(),
                data,
            }))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut vconn = Vconn::open(&args.switch)?;
    match vconn.transact_noreply(&messages)? {
        None => Ok(()),
        Some(error) => Err(ofp_to_string(&error.raw).trim_end().into()),
    }
}
