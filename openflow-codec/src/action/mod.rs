//! OpenFlow 1.3 and Nicira actions: the binary codec, the ovs-ofctl text
//! syntax (what follows `actions=`), OVS's placement rules and its
//! match-dependent checks.
//!
//! * [`registry`]: the one list tying each action type to its wire types
//!   and text keywords; [`Action`] is generated from it.
//! * One file per action or small family (`output`, `ct`, `nat`, ...), each
//!   with its decode, encode, parse and format side by side.
//! * [`wire`] and [`field`]: shared byte-level helpers; [`text`]: shared
//!   text helpers and [`ParseError`]; [`parse`]: the keyword loop;
//!   [`verify`]: ordering and nesting rules; [`check`]: checks against the
//!   flow's match.
//!
//! Actions are modelled as they are on the wire, so that decode → encode
//! reproduces the bytes; where OVS re-encodes a decoded action differently
//! (the deprecated OpenFlow 1.1 set actions become set-fields) the action
//! type does the same.

use bytes::BytesMut;
use nxm_fields::Match;

use crate::error::{BadActionCode, BadRequestCode, OfpError};
use crate::instruction::{self, Instruction};

pub mod bundle;
pub mod check;
pub mod check_pkt_larger;
pub mod clone;
pub mod controller;
pub mod ct;
pub mod delete_field;
pub mod encap;
pub(crate) mod field;
pub(crate) mod hash;
pub mod learn;
pub mod legacy;
pub mod mpls;
pub mod multipath;
pub mod nat;
pub mod output;
pub mod output_reg;
pub(crate) mod parse;
pub mod reg_move;
pub mod registry;
pub mod resubmit;
pub mod sample;
pub mod set_field;
pub mod simple;
pub mod stack;
pub mod text;
pub mod ttl;
pub(crate) mod verify;
pub mod vlan;
pub mod wire;

#[cfg(test)]
mod ovs_cases;
#[cfg(test)]
mod tests;

pub use hash::HashFields;
pub use registry::{Action, Raw};
pub use text::{ParseError, PortNames};

use check::CheckCx;
use registry::DecodeCx;
use verify::{verify_items, Item, Outer, VerifyError};
use wire::{Vendor, View, NX_VENDOR_ID, ONF_VENDOR_ID};

/// How deeply `ct`/`clone` may nest on the wire before we refuse. OVS has no
/// limit; each level costs at least 16 bytes, so this only stops inputs
/// built to exhaust the stack.
const MAX_DECODE_DEPTH: usize = 64;

fn bad_len() -> OfpError {
    OfpError::BadAction(BadActionCode::BadLen)
}

/// Decodes one action at the front of `buf`; returns it and its length.
fn decode_one(buf: &[u8], cx: &DecodeCx) -> Result<(Action, usize), OfpError> {
    let v = View::new(buf);
    if buf.len() < 8 {
        return Err(bad_len());
    }
    let ty = v.u16(0)?;
    let raw = if ty == wire::OFPAT_EXPERIMENTER {
        let vendor = match v.u32(4)? {
            NX_VENDOR_ID => Vendor::Nx,
            ONF_VENDOR_ID => Vendor::Onf,
            _ => return Err(OfpError::BadAction(BadActionCode::BadVendor)),
        };
        if buf.len() < wire::EXT_HEADER_LEN + 6 {
            return Err(bad_len());
        }
        Raw::lookup(vendor, v.u16(8)?).ok_or(OfpError::BadAction(BadActionCode::BadVendorType))?
    } else {
        Raw::lookup(Vendor::Of, ty).ok_or(OfpError::BadAction(BadActionCode::BadType))?
    };
    let len = v.u16(2)?;
    if usize::from(len) > buf.len() || len < raw.min_len() || len > raw.max_len() || len % 8 != 0 {
        return Err(bad_len());
    }
    let bytes = v.bytes(0, usize::from(len))?;
    Ok((Action::decode(raw, View::new(bytes), cx)?, usize::from(len)))
}

/// Decodes a list of actions without the placement rules.
pub(crate) fn decode_list(mut buf: &[u8], cx: &DecodeCx) -> Result<Vec<Action>, OfpError> {
    let mut actions = Vec::new();
    while !buf.is_empty() {
        let (action, len) = decode_one(buf, cx)?;
        actions.push(action);
        buf = buf.get(len..).unwrap_or_default();
    }
    Ok(actions)
}

/// Decodes the actions nested in `ct` or `clone` and applies the nesting
/// rules.
pub(crate) fn decode_nested(
    buf: &[u8],
    cx: &DecodeCx,
    outer: Outer,
) -> Result<Vec<Action>, OfpError> {
    if cx.depth >= MAX_DECODE_DEPTH {
        return Err(OfpError::BadAction(BadActionCode::BadArgument));
    }
    let inner = DecodeCx {
        depth: cx.depth + 1,
    };
    let actions = decode_list(buf, &inner)?;
    let items: Vec<Item> = actions.iter().cloned().map(Item::Action).collect();
    verify_items(&items, false, outer).map_err(|(err, _)| err)?;
    Ok(actions)
}

/// Decodes an action list (as in PACKET_OUT or an apply-actions body),
/// with OVS's placement rules. The length must be a multiple of 8.
pub fn decode_actions(buf: &[u8]) -> Result<Vec<Action>, OfpError> {
    if !buf.len().is_multiple_of(8) {
        return Err(OfpError::BadRequest(BadRequestCode::BadLen));
    }
    let actions = decode_list(buf, &DecodeCx::default())?;
    let items: Vec<Item> = actions.iter().cloned().map(Item::Action).collect();
    verify_items(&items, false, Outer::None).map_err(|(err, _)| err)?;
    Ok(actions)
}

/// Appends the actions' wire form.
pub fn encode_actions(actions: &[Action], out: &mut BytesMut) {
    for a in actions {
        a.encode(out);
    }
}

/// Formats actions as ovs-ofctl does: comma-separated, `drop` for none.
pub fn format_actions(actions: &[Action]) -> String {
    let mut out = String::new();
    format_into(actions, &mut out);
    out
}

pub(crate) fn format_into(actions: &[Action], out: &mut String) {
    if actions.is_empty() {
        out.push_str("drop");
    }
    for (i, a) in actions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        a.format(out);
    }
}

/// The placement rules over a decoded instruction list.
pub(crate) fn verify_instructions(insts: &[Instruction]) -> Result<(), VerifyError> {
    let mut items = Vec::new();
    for inst in insts {
        match inst {
            Instruction::ApplyActions(actions) => {
                items.extend(actions.iter().cloned().map(Item::Action))
            }
            other => items.push(Item::Inst(other.clone())),
        }
    }
    verify_items(&items, true, Outer::None)
}

/// Parses the text after `actions=` (actions and instructions) into
/// instructions, plain actions grouped into one apply-actions, as
/// `ovs-ofctl` does before it looks at the match. `ports` resolves port
/// names other than the reserved ones.
pub fn parse_actions_text(
    text: &str,
    ports: Option<PortNames<'_>>,
) -> Result<Vec<Instruction>, ParseError> {
    let mut cx = parse::ParseCx::new(ports);
    cx.parse_list(text, true, Outer::None)?;
    let mut insts = Vec::new();
    let mut apply = Vec::new();
    for item in cx.items {
        match item {
            Item::Action(a) => apply.push(a),
            Item::Inst(inst) => {
                if !apply.is_empty() {
                    insts.push(Instruction::ApplyActions(std::mem::take(&mut apply)));
                }
                insts.push(inst);
            }
        }
    }
    if !apply.is_empty() {
        insts.push(Instruction::ApplyActions(apply));
    }
    insts.sort_by_key(Instruction::order);
    Ok(insts)
}

/// Parses a plain action list (a group's bucket): instructions other than
/// the actions themselves are refused as ovs-ofctl refuses them.
pub fn parse_action_list_text(text: &str) -> Result<Vec<Action>, ParseError> {
    parse::ParseCx::new(None).nested(text, Outer::None)
}

/// OVS's `ofpacts_check_consistency()` for an OpenFlow 1.3 flow: checks
/// the instructions against the flow's match (and its table, for
/// `goto_table`), and records in the actions what OVS decides from the match
/// when it encodes them: whether `mod_vlan_vid`/`mod_vlan_pcp` must push a
/// VLAN header first, and which L4 field `mod_tp_src`/`mod_tp_dst` set. A
/// hard failure is `ParseError::Inconsistent`; actions that only OpenFlow 1.0
/// would accept give `ParseError::NoUsableProtocol`.
///
/// The flow parser runs this on what [`parse_actions_text`] returned, before
/// encoding.
pub fn resolve_against_match(
    insts: &mut [Instruction],
    m: &Match,
    table_id: Option<u8>,
) -> Result<(), ParseError> {
    let mut cx = CheckCx::new(m);
    for inst in insts {
        instruction::check(inst, table_id)?;
        match inst {
            Instruction::ApplyActions(actions) => check_actions(actions, &mut cx)?,
            // OVS checks an action set on a throw-away copy, consistency
            // verdict included.
            Instruction::WriteActions(actions) => {
                let mut scratch = cx.clone();
                check_actions(actions, &mut scratch)?;
            }
            _ => {}
        }
    }
    if cx.inconsistent {
        Err(ParseError::NoUsableProtocol)
    } else {
        Ok(())
    }
}

/// [`resolve_against_match`] for its verdict only, leaving the instructions
/// as they are (decoded instructions need no resolving).
pub fn check_against_match(
    insts: &[Instruction],
    m: &Match,
    table_id: Option<u8>,
) -> Result<(), ParseError> {
    resolve_against_match(&mut insts.to_vec(), m, table_id)
}

pub(crate) fn check_actions(actions: &mut [Action], cx: &mut CheckCx) -> Result<(), ParseError> {
    actions.iter_mut().try_for_each(|a| a.check(cx))
}

impl Action {
    /// Whether OVS accepts the action inside write-actions (an action set);
    /// a group bucket, which OVS 3.1 also runs as an action set, skips the
    /// others.
    pub fn allowed_in_action_set(&self) -> bool {
        !matches!(
            self,
            Action::Controller(_)
                | Action::OutputReg(_)
                | Action::OutputTrunc(_)
                | Action::PopQueue(_)
                | Action::Note(_)
                | Action::Exit(_)
                | Action::FinTimeout(_)
                | Action::Conjunction(_)
                | Action::Sample(_)
                | Action::Clone(_)
                | Action::Nat(_)
                | Action::Multipath(_)
                | Action::Bundle(_)
                | Action::Learn(_)
                | Action::CheckPktLarger(_)
                | Action::DeleteField(_)
                | Action::Debug(_)
                | Action::Stack(_)
        )
    }
}
