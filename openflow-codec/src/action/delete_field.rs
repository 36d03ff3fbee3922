//! `delete_field:FIELD` (NXAST_DELETE_FIELD): remove a field from the
//! packet's metadata.
//!
//! OVS can delete only the `tun_metadata*` fields; for any other field its
//! match check fails with OFPBAC_BAD_ARGUMENT (so ovs-ofctl 3.1 rejects
//! `delete_field:reg0` with `actions are invalid with specified match`).
//! nxm-fields has no `tun_metadata*` fields, so every field we can name
//! fails that check.

use std::fmt::Write as _;

use bytes::BytesMut;
use nxm_fields::{field, field_by_any_name, FieldId};

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::field as wf;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{ParseError, ParseResult};
use super::wire::{self, View, EXT_HEADER_LEN};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteField {
    pub field: FieldId,
}

impl ActionType for DeleteField {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let (def, _, _) = wf::pull_header(v.rest(EXT_HEADER_LEN)?)?;
        Ok(DeleteField { field: def.id })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxDeleteField);
        wf::put_header(out, field(self.field), false, wf::Naming::Nx);
        wire::finish(out, start, Raw::NxDeleteField);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "delete_field:{}", field(self.field).name);
    }

    fn ofpact_name(&self) -> &'static str {
        "delete_field"
    }

    fn check(&mut self, _: &mut CheckCx) -> Result<(), ParseError> {
        Err(ParseError::Inconsistent(OfpError::BadAction(
            BadActionCode::BadArgument,
        )))
    }
}

/// `delete_field:FIELD`, a field name (no subfield syntax).
pub(crate) fn parse_delete_field(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let def =
        field_by_any_name(arg).ok_or_else(|| ParseError::msg(format!("unknown field `{arg}'")))?;
    cx.push(DeleteField { field: def.id });
    Ok(())
}
