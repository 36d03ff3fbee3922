//! OpenFlow 1.3 instructions: meter, apply-actions, clear-actions,
//! write-actions, write-metadata and goto-table; their binary codec, the
//! ovs-ofctl keywords that parse into them, and their text form as
//! ovs-ofctl prints it after `actions=`.
//!
//! Like OVS, decoding puts instructions in OpenFlow order whatever their
//! order on the wire, and rejects a second instruction of a kind.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::action::{self, Action, ParseError};
use crate::action::{parse::ParseCx, registry::KeywordFn, verify::Outer};
use crate::error::{BadActionCode, BadInstructionCode, MeterModFailedCode, OfpError};

/// One instruction of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    /// `meter:N`.
    Meter(u32),
    /// The plain actions of an action list.
    ApplyActions(Vec<Action>),
    /// `clear_actions`.
    ClearActions,
    /// `write_actions(...)`.
    WriteActions(Vec<Action>),
    /// `write_metadata:V[/M]`.
    WriteMetadata { metadata: u64, mask: u64 },
    /// `goto_table:N`.
    GotoTable(u8),
}

/// OFPIT_* type numbers.
mod ty {
    pub const GOTO_TABLE: u16 = 1;
    pub const WRITE_METADATA: u16 = 2;
    pub const WRITE_ACTIONS: u16 = 3;
    pub const APPLY_ACTIONS: u16 = 4;
    pub const CLEAR_ACTIONS: u16 = 5;
    pub const METER: u16 = 6;
    pub const EXPERIMENTER: u16 = 0xffff;
}

/// The largest meter id (OFPM_MAX).
const METER_MAX: u32 = 0xffff_0000;

fn bad_len() -> OfpError {
    OfpError::BadInstruction(BadInstructionCode::BadLen)
}

impl Instruction {
    /// Position in OpenFlow's instruction order.
    pub(crate) fn order(&self) -> usize {
        match self {
            Instruction::Meter(_) => 0,
            Instruction::ApplyActions(_) => 1,
            Instruction::ClearActions => 2,
            Instruction::WriteActions(_) => 3,
            Instruction::WriteMetadata { .. } => 4,
            Instruction::GotoTable(_) => 5,
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = out.len();
        match self {
            Instruction::Meter(id) => {
                out.put_u16(ty::METER);
                out.put_u16(8);
                out.put_u32(*id);
            }
            Instruction::ApplyActions(actions) | Instruction::WriteActions(actions) => {
                // OVS leaves out an action instruction with no actions.
                if actions.is_empty() {
                    return;
                }
                let t = if matches!(self, Instruction::ApplyActions(_)) {
                    ty::APPLY_ACTIONS
                } else {
                    ty::WRITE_ACTIONS
                };
                out.put_u16(t);
                out.put_u16(0);
                out.put_u32(0);
                action::encode_actions(actions, out);
                action::wire::set_len(out, start);
            }
            Instruction::ClearActions => {
                out.put_u16(ty::CLEAR_ACTIONS);
                out.put_u16(8);
                out.put_u32(0);
            }
            Instruction::WriteMetadata { metadata, mask } => {
                out.put_u16(ty::WRITE_METADATA);
                out.put_u16(24);
                out.put_u32(0);
                out.put_u64(*metadata);
                out.put_u64(*mask);
            }
            Instruction::GotoTable(table) => {
                out.put_u16(ty::GOTO_TABLE);
                out.put_u16(8);
                out.put_u8(*table);
                out.put_bytes(0, 3);
            }
        }
    }

    fn format(&self, out: &mut String) {
        match self {
            Instruction::Meter(id) => {
                let _ = write!(out, "meter:{id}");
            }
            Instruction::ApplyActions(actions) => action::format_into(actions, out),
            Instruction::ClearActions => out.push_str("clear_actions"),
            Instruction::WriteActions(actions) => {
                out.push_str("write_actions(");
                action::format_into(actions, out);
                out.push(')');
            }
            Instruction::WriteMetadata { metadata, mask } => {
                // "%#"PRIx64: zero prints as plain "0".
                out.push_str("write_metadata:");
                hex(*metadata, out);
                if *mask != u64::MAX {
                    out.push('/');
                    hex(*mask, out);
                }
            }
            Instruction::GotoTable(table) => {
                let _ = write!(out, "goto_table:{table}");
            }
        }
    }
}

fn hex(v: u64, out: &mut String) {
    if v == 0 {
        out.push('0');
    } else {
        let _ = write!(out, "{v:#x}");
    }
}

/// Decodes an OpenFlow 1.3 instruction list.
pub fn decode_instructions(buf: &[u8]) -> Result<Vec<Instruction>, OfpError> {
    if !buf.len().is_multiple_of(8) {
        return Err(bad_len());
    }
    let mut found: [Option<&[u8]>; 6] = [None; 6];
    let mut rest = buf;
    while let Some(header) = rest.get(..4) {
        let t = u16::from_be_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if len % 8 != 0 || len < 8 || len > rest.len() {
            return Err(bad_len());
        }
        let (inst, tail) = rest.split_at(len);
        rest = tail;
        let (slot, len_ok) = match t {
            ty::EXPERIMENTER => {
                return Err(OfpError::BadInstruction(
                    BadInstructionCode::BadExperimenter,
                ))
            }
            ty::METER => (0, len == 8),
            ty::APPLY_ACTIONS => (1, true),
            ty::CLEAR_ACTIONS => (2, len == 8),
            ty::WRITE_ACTIONS => (3, true),
            ty::WRITE_METADATA => (4, len == 24),
            ty::GOTO_TABLE => (5, len == 8),
            _ => return Err(OfpError::BadInstruction(BadInstructionCode::UnknownInst)),
        };
        if !len_ok {
            return Err(bad_len());
        }
        if found[slot].replace(inst).is_some() {
            return Err(OfpError::BadInstruction(BadInstructionCode::DupInst));
        }
    }
    let word = |inst: &[u8], at: usize| {
        inst.get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_be_bytes)
    };
    let mut items = Vec::new();
    if let Some(inst) = found[0] {
        let id = inst
            .get(4..8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes);
        items.push(Instruction::Meter(id));
    }
    if let Some(inst) = found[1] {
        let actions = action::decode_list(body(inst), &Default::default())?;
        if !actions.is_empty() {
            items.push(Instruction::ApplyActions(actions));
        }
    }
    if found[2].is_some() {
        items.push(Instruction::ClearActions);
    }
    if let Some(inst) = found[3] {
        let actions = action::decode_list(body(inst), &Default::default())?;
        if !actions.iter().all(Action::allowed_in_action_set) {
            return Err(OfpError::BadAction(BadActionCode::BadType));
        }
        items.push(Instruction::WriteActions(actions));
    }
    if let Some(inst) = found[4] {
        items.push(Instruction::WriteMetadata {
            metadata: word(inst, 8),
            mask: word(inst, 16),
        });
    }
    if let Some(inst) = found[5] {
        items.push(Instruction::GotoTable(inst.get(4).copied().unwrap_or(0)));
    }
    action::verify_instructions(&items).map_err(|(err, _)| err)?;
    Ok(items)
}

/// The actions inside an apply- or write-actions instruction.
fn body(inst: &[u8]) -> &[u8] {
    inst.get(8..).unwrap_or_default()
}

/// Encodes instructions in the given order (which the parser and decoder
/// keep in OpenFlow order).
pub fn encode_instructions(insts: &[Instruction], out: &mut BytesMut) {
    for inst in insts {
        inst.encode(out);
    }
}

/// What ovs-ofctl prints after `actions=`: `drop` for nothing.
pub fn format_instructions(insts: &[Instruction]) -> String {
    let mut out = String::new();
    let mut first = true;
    for inst in insts {
        if matches!(inst, Instruction::ApplyActions(a) if a.is_empty()) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        inst.format(&mut out);
    }
    if first {
        out.push_str("drop");
    }
    out
}

/// The instruction keywords ovs-ofctl accepts among actions.
pub(crate) fn keyword(key: &str) -> Option<KeywordFn> {
    const KEYWORDS: [(&str, KeywordFn); 5] = [
        ("meter", parse_meter),
        ("clear_actions", parse_clear_actions),
        ("write_actions", parse_write_actions),
        ("write_metadata", parse_write_metadata),
        ("goto_table", parse_goto_table),
    ];
    KEYWORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|&(_, parse)| parse)
}

fn parse_meter(arg: &str, cx: &mut ParseCx<'_>) -> Result<(), ParseError> {
    cx.push_inst(Instruction::Meter(action::text::str_to_u32(arg)?));
    Ok(())
}

fn parse_clear_actions(_: &str, cx: &mut ParseCx<'_>) -> Result<(), ParseError> {
    cx.push_inst(Instruction::ClearActions);
    Ok(())
}

fn parse_write_actions(arg: &str, cx: &mut ParseCx<'_>) -> Result<(), ParseError> {
    let actions = cx.nested(arg, Outer::WriteActions)?;
    cx.push_inst(Instruction::WriteActions(actions));
    Ok(())
}

fn parse_write_metadata(arg: &str, cx: &mut ParseCx<'_>) -> Result<(), ParseError> {
    let (value, mask) = match arg.split_once('/') {
        Some((v, m)) => (v, Some(action::text::str_to_u64(m)?)),
        None => (arg, None),
    };
    cx.push_inst(Instruction::WriteMetadata {
        metadata: action::text::str_to_u64(value)?,
        mask: mask.unwrap_or(u64::MAX),
    });
    Ok(())
}

fn parse_goto_table(arg: &str, cx: &mut ParseCx<'_>) -> Result<(), ParseError> {
    let table = action::text::parse_table(arg)
        .ok_or_else(|| ParseError::msg(format!("unknown table \"{arg}\"")))?;
    cx.push_inst(Instruction::GotoTable(table));
    Ok(())
}

/// The table id that means "not given" in OVS's goto_table check (OFPTT_ALL,
/// what a flow without `table=` carries until it is sent).
const TABLE_UNKNOWN: u8 = 0xff;

/// OVS's checks of the instructions themselves against the flow: meter ids
/// in range, goto_table forward of the flow's own table (`table_id`, unless
/// unknown: `None` or 255).
pub(crate) fn check(inst: &Instruction, table_id: Option<u8>) -> Result<(), ParseError> {
    let own_table = table_id.filter(|&t| t != TABLE_UNKNOWN);
    match *inst {
        Instruction::Meter(id) if id == 0 || id > METER_MAX => Err(ParseError::Inconsistent(
            OfpError::MeterModFailed(MeterModFailedCode::InvalidMeter),
        )),
        Instruction::GotoTable(t) if own_table.is_some_and(|own| t <= own) => Err(
            ParseError::Inconsistent(OfpError::BadInstruction(BadInstructionCode::BadTableId)),
        ),
        _ => Ok(()),
    }
}
