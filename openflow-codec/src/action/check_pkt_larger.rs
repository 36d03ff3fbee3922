//! `check_pkt_larger(LEN)->DST` (NXAST_CHECK_PKT_LARGER): set a 1-bit
//! subfield to whether the packet is longer than `LEN` bytes.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::Subfield;

use crate::error::OfpError;

use super::field as wf;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::set_field::split_arrow;
use super::text::{self, ParseError, ParseResult};
use super::wire::{self, View, MUST_BE_ZERO};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckPktLarger {
    pub pkt_len: u16,
    /// Always one bit wide.
    pub dst: Subfield,
}

impl ActionType for CheckPktLarger {
    /// As OVS's decoder: the width is implied, and the destination must be
    /// in range and writable (OVS runs `mf_check_dst()` here, without a
    /// match).
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let ofs = u32::from(v.u16(12)?);
        let rest = v.rest(14)?;
        let (def, _, n) = wf::pull_header(rest)?;
        if rest.get(n..).is_some_and(|pad| pad.iter().any(|&b| b != 0)) {
            return Err(MUST_BE_ZERO);
        }
        wf::check_bounds(def, ofs, 1)?;
        if !def.writable {
            return Err(wf::BAD_SET_ARGUMENT);
        }
        Ok(CheckPktLarger {
            pkt_len: v.u16(10)?,
            dst: Subfield {
                field: def.id,
                ofs,
                n_bits: 1,
            },
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxCheckPktLarger);
        out.put_u16(self.pkt_len);
        out.put_u16(self.dst.ofs as u16);
        wf::put_header(out, self.dst.def(), false, wf::Naming::Nx);
        wire::finish(out, start, Raw::NxCheckPktLarger);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "check_pkt_larger({})->{}", self.pkt_len, self.dst);
    }

    fn ofpact_name(&self) -> &'static str {
        "check_pkt_larger"
    }
}

/// `check_pkt_larger(LEN)->DST`. The tokenizer hands over `LEN)->DST`
/// (the parenthesis stays with the length, which OVS then drops).
pub(crate) fn parse_check_pkt_larger(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let (len_s, dst_s) = split_arrow(arg)?;
    let len_s = len_s.strip_suffix(')').unwrap_or(len_s);
    let dst = Subfield::parse(dst_s).map_err(|e| ParseError::msg(e.to_string()))?;
    if dst.n_bits != 1 {
        return Err(ParseError::msg("Only 1-bit destination field is allowed"));
    }
    // OVS passes no name to str_to_u16(), and C prints that as "(null)".
    let pkt_len = text::str_to_u16(len_s, "(null)")?;
    cx.push(CheckPktLarger { pkt_len, dst });
    Ok(())
}
