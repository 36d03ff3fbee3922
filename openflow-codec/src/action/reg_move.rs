//! `move:SRC->DST` (NXAST_REG_MOVE): copy bits from one field to another.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::Subfield;

use crate::error::OfpError;

use super::check::CheckCx;
use super::field as wf;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::set_field::written;
use super::text::{ParseError, ParseResult};
use super::verify::WrittenField;
use super::wire::{self, View, MUST_BE_ZERO};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegMove {
    pub src: Subfield,
    pub dst: Subfield,
}

impl ActionType for RegMove {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let n_bits = u32::from(v.u16(10)?);
        let src_ofs = u32::from(v.u16(12)?);
        let dst_ofs = u32::from(v.u16(14)?);
        let rest = v.rest(16)?;
        let (src_def, _, n) = wf::pull_header(rest)?;
        let rest = rest.get(n..).unwrap_or_default();
        let (dst_def, _, n) = wf::pull_header(rest)?;
        if rest.get(n..).is_some_and(|pad| pad.iter().any(|&b| b != 0)) {
            return Err(MUST_BE_ZERO);
        }
        wf::check_bounds(src_def, src_ofs, n_bits)?;
        wf::check_bounds(dst_def, dst_ofs, n_bits)?;
        if !dst_def.writable {
            return Err(wf::BAD_SET_ARGUMENT);
        }
        Ok(RegMove {
            src: Subfield {
                field: src_def.id,
                ofs: src_ofs,
                n_bits,
            },
            dst: Subfield {
                field: dst_def.id,
                ofs: dst_ofs,
                n_bits,
            },
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxRegMove);
        out.put_u16(self.dst.n_bits as u16);
        out.put_u16(self.src.ofs as u16);
        out.put_u16(self.dst.ofs as u16);
        wf::put_header(out, self.src.def(), false, wf::Naming::Nx);
        wf::put_header(out, self.dst.def(), false, wf::Naming::Nx);
        wire::finish(out, start, Raw::NxRegMove);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "move:{}->{}", self.src, self.dst);
    }

    fn ofpact_name(&self) -> &'static str {
        "move"
    }

    fn written_field(&self) -> Option<WrittenField> {
        Some(written(self.dst.def()))
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.check_subfield_prereqs(self.src.def())?;
        cx.check_dst(self.dst.def())
    }
}

/// `move:SRC->DST`.
pub(crate) fn parse_move(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let (src, dst) = parse_src_dst(arg)?;
    cx.push(RegMove { src, dst });
    Ok(())
}

/// OVS's `nxm_parse_reg_move()`: `SRC->DST`, two subfields of one width
/// (also `learn`'s `load:SRC->DST`).
pub(crate) fn parse_src_dst(arg: &str) -> ParseResult<(Subfield, Subfield)> {
    // The source's errors quote the whole argument, the destination's
    // only the destination, as ovs-ofctl's do.
    let (src, rest) = Subfield::parse_prefix(arg).map_err(|e| ParseError::msg(e.to_string()))?;
    let dst_s = rest
        .strip_prefix("->")
        .ok_or_else(|| ParseError::msg(format!("{arg}: missing `->' following source")))?;
    let dst = Subfield::parse(dst_s).map_err(|e| ParseError::msg(e.to_string()))?;
    if src.n_bits != dst.n_bits {
        return Err(ParseError::msg(format!(
            "{arg}: source field is {} bits wide but destination is {} bits wide",
            src.n_bits, dst.n_bits
        )));
    }
    Ok((src, dst))
}
