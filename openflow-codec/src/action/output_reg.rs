//! `output:SUBFIELD` (NXAST_OUTPUT_REG, or NXAST_OUTPUT_REG2 for fields
//! with an experimenter header): output to the port a field holds.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::Subfield;

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::field as wf;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::ParseError;
use super::wire::{self, View, MUST_BE_ZERO};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputReg {
    pub src: Subfield,
    pub max_len: u16,
    /// It arrived as NXAST_OUTPUT_REG2, so it goes out as one again.
    pub v2: bool,
}

impl OutputReg {
    /// `output:SUBFIELD` as ovs-ofctl parses it.
    pub fn parse(arg: &str) -> Result<Self, nxm_fields::FieldError> {
        Ok(OutputReg {
            src: Subfield::parse(arg)?,
            max_len: u16::MAX,
            v2: false,
        })
    }
}

impl ActionType for OutputReg {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let (ofs, n_bits) = wf::unpack_ofs_nbits(v.u16(10)?);
        let (def, max_len) = if raw == Raw::NxOutputReg2 {
            let rest = v.rest(14)?;
            let (def, _, n) = wf::pull_header(rest)?;
            if rest.get(n..).is_some_and(|pad| pad.iter().any(|&b| b != 0)) {
                return Err(MUST_BE_ZERO);
            }
            (def, v.u16(12)?)
        } else {
            v.expect_zero(18, 6, OfpError::BadAction(BadActionCode::BadArgument))?;
            (wf::field_from_word(v.u32(12)?)?, v.u16(16)?)
        };
        wf::check_bounds(def, ofs, n_bits)?;
        Ok(OutputReg {
            src: Subfield {
                field: def.id,
                ofs,
                n_bits,
            },
            max_len,
            v2: raw == Raw::NxOutputReg2,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let def = self.src.def();
        match wf::word_of(def) {
            Some(word) if !self.v2 => {
                let start = wire::begin(out, Raw::NxOutputReg);
                out.put_u16(wf::ofs_nbits(&self.src));
                out.put_u32(word);
                out.put_u16(self.max_len);
                wire::finish(out, start, Raw::NxOutputReg);
            }
            _ => {
                let start = wire::begin(out, Raw::NxOutputReg2);
                out.put_u16(wf::ofs_nbits(&self.src));
                out.put_u16(self.max_len);
                wf::put_header(out, def, false, wf::Naming::Nx);
                wire::finish(out, start, Raw::NxOutputReg2);
            }
        }
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "output:{}", self.src);
    }

    fn ofpact_name(&self) -> &'static str {
        "output_reg"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.check_subfield_prereqs(self.src.def())
    }
}
