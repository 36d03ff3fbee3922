//! OFPT_PACKET_OUT: send a packet (given, or buffered in the switch)
//! through a list of actions.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::port::{OFPP_ANY, OFPP_CONTROLLER, OFPP_LOCAL, OFPP_MAX};

use super::packet_text::packet_to_string;
use super::port::{check_port, format_port};
use super::wire::{self, Parsed};
use crate::action::{self, Action};
use crate::error::{BadRequestCode, OfpError};

/// `OFP_NO_BUFFER`.
pub const NO_BUFFER: u32 = 0xffff_ffff;

#[derive(Debug, Clone, PartialEq)]
pub struct PacketOut {
    pub buffer_id: u32,
    pub in_port: u32,
    pub actions: Vec<Action>,
    /// The frame, when `buffer_id` is [`NO_BUFFER`].
    pub data: Vec<u8>,
}

impl PacketOut {
    pub fn decode(body: &[u8]) -> Result<PacketOut, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.buffer_id);
        out.put_u32(self.in_port);
        let len_at = out.len();
        out.put_u16(0);
        out.put_bytes(0, 6);
        let start = out.len();
        action::encode_actions(&self.actions, out);
        let len = u16::try_from(out.len() - start).unwrap_or(u16::MAX);
        out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
        out.put_slice(&self.data);
    }

    /// OVS's packet-out description, with the frame's when it carries one.
    pub fn format(&self, out: &mut String) {
        out.push_str(" in_port=");
        format_port(self.in_port, out);
        out.push_str(" actions=");
        out.push_str(&action::format_actions(&self.actions));
        if self.buffer_id == NO_BUFFER {
            let _ = write!(out, " data_len={}", self.data.len());
            if !self.data.is_empty() {
                out.push('\n');
                out.push_str(&packet_to_string(&self.data));
            }
        } else {
            let _ = write!(out, " buffer=0x{:08x}", self.buffer_id);
        }
    }
}

fn parse(input: &[u8]) -> Parsed<'_, PacketOut> {
    let (input, buffer_id) = wire::u32(input)?;
    let (input, in_port) = wire::u32(input)?;
    let (input, in_port) = wire::lift(input, check_port(in_port))?;
    // Packets come from a real port or one of these reserved ones.
    if in_port >= OFPP_MAX && ![OFPP_LOCAL, OFPP_ANY, OFPP_CONTROLLER].contains(&in_port) {
        return wire::fail(BadRequestCode::BadPort);
    }
    let (input, actions_len) = wire::u16(input)?;
    let (input, ()) = wire::pad(6)(input)?;
    let (input, raw) = wire::take(usize::from(actions_len))(input)?;
    let (input, actions) = wire::lift(input, action::decode_actions(raw))?;
    let data = input.to_vec();
    Ok((
        &[],
        PacketOut {
            buffer_id,
            in_port,
            actions,
            data,
        },
    ))
}
