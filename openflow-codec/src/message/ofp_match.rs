//! The `ofp_match` inside messages: the nom glue around
//! `nxm_fields::Match`'s OXM codec, and the mapping of its faults to
//! OFPBMC_* errors.

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

/// Parses an `ofp_match` (with its padding).
pub fn parse(input: &[u8]) -> Parsed<'_, Match> {
    match Match::decode_ofp_match(input) {
        Ok((m, used)) => {
            let rest = input.get(used..).unwrap_or_default();
            Ok((rest, m))
        }
        Err(err) => wire::fail(OfpError::from(err)),
    }
}
