//! OFPT_FLOW_MOD: add, modify or delete flows.
//!
//! The struct holds what the OpenFlow 1.3 message carries. OVS reads the
//! `cookie` differently by command (for `ADD` it is the new flow's cookie and
//! the mask is ignored; otherwise cookie and mask select flows), and prints it
//! accordingly; [`FlowMod::format`] follows that reading.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use nxm_fields::port::OFPP_ANY;
use nxm_fields::Match;

use super::ofp_match::format_with_priority;
use super::wire::{self, Parsed};
use crate::action::{self, ParseError};
use crate::error::{BadActionCode, FlowModFailedCode, OfpError};
use crate::instruction::{self, Instruction};

pub use super::ofp_match::DEFAULT_PRIORITY;
/// `OFP_NO_BUFFER`.
pub const NO_BUFFER: u32 = 0xffff_ffff;
/// `OFPG_ANY`.
pub const OFPG_ANY: u32 = 0xffff_ffff;
/// `OFPTT_ALL`, which OVS also uses for "no table given".
pub const TABLE_ALL: u8 = 0xff;

/// `ofp_flow_mod_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowModCommand {
    Add,
    Modify,
    ModifyStrict,
    Delete,
    DeleteStrict,
}

impl FlowModCommand {
    const ALL: [(FlowModCommand, u8, &'static str); 5] = [
        (FlowModCommand::Add, 0, "ADD"),
        (FlowModCommand::Modify, 1, "MOD"),
        (FlowModCommand::ModifyStrict, 2, "MOD_STRICT"),
        (FlowModCommand::Delete, 3, "DEL"),
        (FlowModCommand::DeleteStrict, 4, "DEL_STRICT"),
    ];

    pub fn to_wire(self) -> u8 {
        Self::ALL.iter().find(|c| c.0 == self).map_or(0, |c| c.1)
    }

    pub fn from_wire(code: u8) -> Option<FlowModCommand> {
        Self::ALL.iter().find(|c| c.1 == code).map(|c| c.0)
    }

    /// How ofp-print names the command.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|c| c.0 == self)
            .map_or("ADD", |c| c.2)
    }
}

/// `ofp_flow_mod_flags` (OpenFlow 1.3).
pub mod flags {
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    pub const RESET_COUNTS: u16 = 1 << 2;
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    pub const NO_BYT_COUNTS: u16 = 1 << 4;

    /// Flag names as ovs-ofctl reads and prints them, in print order.
    pub const NAMES: [(u16, &str); 5] = [
        (SEND_FLOW_REM, "send_flow_rem"),
        (CHECK_OVERLAP, "check_overlap"),
        (RESET_COUNTS, "reset_counts"),
        (NO_PKT_COUNTS, "no_packet_counts"),
        (NO_BYT_COUNTS, "no_byte_counts"),
    ];

    /// Every flag OpenFlow 1.3 defines.
    pub const ALL: u16 =
        SEND_FLOW_REM | CHECK_OVERLAP | RESET_COUNTS | NO_PKT_COUNTS | NO_BYT_COUNTS;
}

/// One OFPT_FLOW_MOD.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowMod {
    pub cookie: u64,
    pub cookie_mask: u64,
    pub table_id: u8,
    pub command: FlowModCommand,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub priority: u16,
    pub buffer_id: u32,
    pub out_port: u32,
    pub out_group: u32,
    pub flags: u16,
    pub r#match: Match,
    pub instructions: Vec<Instruction>,
}

impl Default for FlowMod {
    fn default() -> Self {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id: 0,
            command: FlowModCommand::Add,
            idle_timeout: 0,
            hard_timeout: 0,
            priority: DEFAULT_PRIORITY,
            buffer_id: NO_BUFFER,
            out_port: OFPP_ANY,
            out_group: OFPG_ANY,
            flags: 0,
            r#match: Match::catch_all(),
            instructions: Vec::new(),
        }
    }
}

impl FlowMod {
    /// Decodes the body (after the 8-byte header). As OVS does, the
    /// instructions are also checked against the match, so a flow-mod whose
    /// actions contradict its match does not decode.
    pub fn decode(body: &[u8]) -> Result<FlowMod, OfpError> {
        let fm = wire::run(body, parse)?;
        let table = (fm.table_id != TABLE_ALL).then_some(fm.table_id);
        match action::check_against_match(&fm.instructions, &fm.r#match, table) {
            Ok(()) => Ok(fm),
            Err(ParseError::Inconsistent(err)) => Err(err),
            // Consistent only for OpenFlow 1.0, or a check that only text
            // can fail: either way inconsistent in OpenFlow 1.3.
            Err(_) => Err(BadActionCode::MatchInconsistent.into()),
        }
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u64(self.cookie);
        out.put_u64(self.cookie_mask);
        out.put_u8(self.table_id);
        out.put_u8(self.command.to_wire());
        out.put_u16(self.idle_timeout);
        out.put_u16(self.hard_timeout);
        out.put_u16(self.priority);
        out.put_u32(self.buffer_id);
        out.put_u32(self.out_port);
        out.put_u32(self.out_group);
        out.put_u16(self.flags);
        out.put_bytes(0, 2);
        self.r#match.encode_ofp_match(out);
        instruction::encode_instructions(&self.instructions, out);
    }

    /// The text after `OFPT_FLOW_MOD (OF1.3) (xid=0x..):`, as ovs-ofctl
    /// prints it.
    pub fn format(&self, out: &mut String) {
        let _ = write!(out, " {}", self.command.name());
        if self.table_id != 0 {
            let _ = write!(out, " table:{}", self.table_id);
        }
        out.push(' ');
        format_with_priority(out, &self.r#match, self.priority);
        if !out.ends_with(' ') {
            out.push(' ');
        }
        let is_add = self.command == FlowModCommand::Add;
        // OVS reads an all-ones cookie as "no new cookie" and leaves it out.
        if is_add && self.cookie != 0 && self.cookie != u64::MAX {
            let _ = write!(out, "cookie:{:#x} ", self.cookie);
        }
        if !is_add && self.cookie_mask != 0 {
            let _ = write!(out, "cookie:{:#x}/{:#x} ", self.cookie, self.cookie_mask);
        }
        if self.idle_timeout != 0 {
            let _ = write!(out, "idle:{} ", self.idle_timeout);
        }
        if self.hard_timeout != 0 {
            let _ = write!(out, "hard:{} ", self.hard_timeout);
        }
        if self.buffer_id != NO_BUFFER {
            let _ = write!(out, "buf:{:#x} ", self.buffer_id);
        }
        if self.out_port != OFPP_ANY {
            out.push_str("out_port:");
            super::port::format_port(self.out_port, out);
            out.push(' ');
        }
        for (bit, name) in flags::NAMES {
            if self.flags & bit != 0 {
                let _ = write!(out, "{name} ");
            }
        }
        out.push_str("actions=");
        out.push_str(&instruction::format_instructions(&self.instructions));
    }
}

fn parse(input: &[u8]) -> Parsed<'_, FlowMod> {
    let (input, cookie) = wire::u64(input)?;
    let (input, cookie_mask) = wire::u64(input)?;
    let (input, table_id) = wire::u8(input)?;
    let (input, command) = wire::u8(input)?;
    let Some(command) = FlowModCommand::from_wire(command) else {
        return wire::fail(FlowModFailedCode::BadCommand);
    };
    // Only deletions may name every table.
    let deletes = matches!(
        command,
        FlowModCommand::Delete | FlowModCommand::DeleteStrict
    );
    if table_id == TABLE_ALL && !deletes {
        return wire::fail(FlowModFailedCode::BadTableId);
    }
    let (input, idle_timeout) = wire::u16(input)?;
    let (input, hard_timeout) = wire::u16(input)?;
    let (input, priority) = wire::u16(input)?;
    let (input, buffer_id) = wire::u32(input)?;
    let (input, out_port) = wire::u32(input)?;
    let (input, out_port) = wire::lift(input, super::port::check_port(out_port))?;
    let (input, out_group) = wire::u32(input)?;
    let (input, flags) = wire::u16(input)?;
    if flags & !flags::ALL != 0 {
        return wire::fail(FlowModFailedCode::BadFlags);
    }
    let (input, ()) = wire::pad(2)(input)?;
    let (input, r#match) = super::ofp_match::parse(input)?;
    // The instructions run to the end of the message.
    let (input, instructions) = wire::lift(&[], instruction::decode_instructions(input))?;
    Ok((
        input,
        FlowMod {
            cookie,
            cookie_mask,
            table_id,
            command,
            idle_timeout,
            hard_timeout,
            priority,
            buffer_id,
            out_port,
            out_group,
            flags,
            r#match,
            instructions,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    // `ovs-ofctl -O OpenFlow13 -mmmmm parse-flow 'ip,actions=drop'`, body only.
    const IP_DROP: &str = "000000000000000000000000000000000000000000008000ffffffffffffffffffffffff000000000001000a80000a020800000000000000";

    #[test]
    fn encodes_as_ovs_ofctl_does() {
        let mut m = Match::catch_all();
        m.apply_text("ip", None).unwrap();
        let fm = FlowMod {
            r#match: m,
            ..FlowMod::default()
        };
        let mut out = BytesMut::new();
        fm.encode(&mut out);
        assert_eq!(hex(&out), IP_DROP);
    }

    #[test]
    fn decode_reverses_encode_and_prints_like_ofp_print() {
        let body: Vec<u8> = (0..IP_DROP.len() / 2)
            .map(|i| u8::from_str_radix(&IP_DROP[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let fm = FlowMod::decode(&body).unwrap();
        let mut s = String::new();
        fm.format(&mut s);
        assert_eq!(s, " ADD ip actions=drop");
    }

    #[test]
    fn options_print_in_ovs_order() {
        let fm = FlowMod {
            table_id: 3,
            priority: 7,
            cookie: 0x10,
            idle_timeout: 5,
            flags: flags::SEND_FLOW_REM | flags::NO_BYT_COUNTS,
            ..FlowMod::default()
        };
        let mut s = String::new();
        fm.format(&mut s);
        assert_eq!(
            s,
            " ADD table:3 priority=7 cookie:0x10 idle:5 send_flow_rem no_byte_counts actions=drop"
        );
    }

    #[test]
    fn unknown_commands_and_flags_are_refused() {
        let mut body = vec![0u8; 40];
        body[17] = 9;
        assert_eq!(
            FlowMod::decode(&body),
            Err(FlowModFailedCode::BadCommand.into())
        );
    }
}
