//! The `ofp_match` inside messages: the nom glue around
//! `nxm_fields::Match`'s OXM codec, and the mapping of its faults to
//! OFPBMC_* errors.

use std::fmt::Write;

use nxm_fields::{FieldError, Match};

use super::wire::{self, Parsed};
use crate::error::{BadMatchCode, OfpError};

impl From<FieldError> for OfpError {
    fn from(err: FieldError) -> OfpError {
        let code = match err {
            FieldError::BadType => BadMatchCode::BadType,
            FieldError::BadLen => BadMatchCode::BadLen,
            FieldError::BadField => BadMatchCode::BadField,
            FieldError::BadMask => BadMatchCode::BadMask,
            FieldError::BadPrereq => BadMatchCode::BadPrereq,
            FieldError::DupField => BadMatchCode::DupField,
            FieldError::BadValue | FieldError::Text(_) => BadMatchCode::BadValue,
        };
        code.into()
    }
}

/// `ofp_match.type` of OpenFlow 1.1's fixed 88-byte match.
const OFPMT_STANDARD: u16 = 0;
const STANDARD_MATCH_LEN: u16 = 88;

/// Parses an `ofp_match` (with its padding). OVS would also read OpenFlow
/// 1.1's fixed-size standard match here; ctswitch does not (OFPBMC_BAD_TYPE),
/// but a standard match of the wrong size is a length fault, as in OVS.
pub fn parse(input: &[u8]) -> Parsed<'_, Match> {
    if let [t0, t1, l0, l1, ..] = *input {
        let kind = u16::from_be_bytes([t0, t1]);
        let len = u16::from_be_bytes([l0, l1]);
        if kind == OFPMT_STANDARD && len != STANDARD_MATCH_LEN {
            return wire::fail(BadMatchCode::BadLen);
        }
    }
    match Match::decode_ofp_match(input) {
        Ok((m, used)) => {
            let rest = input.get(used..).unwrap_or_default();
            Ok((rest, m))
        }
        Err(err) => wire::fail(OfpError::from(err)),
    }
}

/// `OFP_DEFAULT_PRIORITY`, which OVS leaves out when it prints a match.
pub const DEFAULT_PRIORITY: u16 = 0x8000;

/// A match as OVS's `match_format` prints it with a priority:
/// `priority=N,` first unless N is the default, then the fields.
pub fn format_with_priority(out: &mut String, r#match: &Match, priority: u16) {
    let fields = r#match.to_string();
    if priority != DEFAULT_PRIORITY {
        let _ = write!(out, "priority={priority}");
        if !fields.is_empty() {
            out.push(',');
        }
    }
    out.push_str(&fields);
}
