//! `push:SUBFIELD` and `pop:SUBFIELD` (NXAST_STACK_PUSH, NXAST_STACK_POP):
//! save bits of a field on the translation's stack and restore them.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::Subfield;

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::field as wf;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{ParseError, ParseResult};
use super::wire::{self, View, MUST_BE_ZERO};

/// Which way the bits go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackOp {
    Push,
    Pop,
}

/// A push or a pop of `sf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stack {
    pub op: StackOp,
    pub sf: Subfield,
}

impl Stack {
    fn raw(&self) -> Raw {
        match self.op {
            StackOp::Push => Raw::NxStackPush,
            StackOp::Pop => Raw::NxStackPop,
        }
    }
}

impl ActionType for Stack {
    /// The layout: bit offset, the field's header, the number of bits.
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let ofs = u32::from(v.u16(10)?);
        let rest = v.rest(12)?;
        let (def, _, n) = wf::pull_header(rest)?;
        let n_bits = rest
            .get(n..n + 2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map(|b| u32::from(u16::from_be_bytes(b)))
            .ok_or(OfpError::BadAction(BadActionCode::BadLen))?;
        if rest
            .get(n + 2..)
            .is_some_and(|pad| pad.iter().any(|&b| b != 0))
        {
            return Err(MUST_BE_ZERO);
        }
        wf::check_bounds(def, ofs, n_bits)?;
        let op = if raw == Raw::NxStackPop {
            if !def.writable {
                return Err(wf::BAD_SET_ARGUMENT);
            }
            StackOp::Pop
        } else {
            StackOp::Push
        };
        Ok(Stack {
            op,
            sf: Subfield {
                field: def.id,
                ofs,
                n_bits,
            },
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let raw = self.raw();
        let start = wire::begin(out, raw);
        out.put_u16(self.sf.ofs as u16);
        wf::put_header(out, self.sf.def(), false, wf::Naming::Nx);
        out.put_u16(self.sf.n_bits as u16);
        wire::finish(out, start, raw);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "{}:{}", self.ofpact_name(), self.sf);
    }

    fn ofpact_name(&self) -> &'static str {
        match self.op {
            StackOp::Push => "push",
            StackOp::Pop => "pop",
        }
    }

    /// OVS checks a push's source and a pop's destination against the
    /// match; a pop of a connection-tracking field is allowed anywhere.
    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        match self.op {
            StackOp::Push => cx.check_subfield_prereqs(self.sf.def()),
            StackOp::Pop => cx.check_dst(self.sf.def()),
        }
    }
}

fn parse(op: StackOp, arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let (sf, rest) = Subfield::parse_prefix(arg).map_err(|e| ParseError::msg(e.to_string()))?;
    if !rest.is_empty() {
        return Err(ParseError::msg(format!(
            "{rest}: trailing garbage following push or pop"
        )));
    }
    cx.push(Stack { op, sf });
    Ok(())
}

pub(crate) fn parse_push(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse(StackOp::Push, arg, cx)
}

pub(crate) fn parse_pop(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse(StackOp::Pop, arg, cx)
}
