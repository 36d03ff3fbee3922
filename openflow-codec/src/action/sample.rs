//! `sample(probability=N,collector_set_id=N,...)`: NXAST_SAMPLE, SAMPLE2
//! (adds a sampling port) and SAMPLE3 (adds a direction).

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, port, KeyValues, ParseError, ParseResult};
use super::wire::{self, View, MUST_BE_ZERO};

/// NX_ACTION_SAMPLE_DEFAULT, _INGRESS, _EGRESS.
pub const DIRECTION_DEFAULT: u8 = 0;
pub const DIRECTION_INGRESS: u8 = 1;
pub const DIRECTION_EGRESS: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub probability: u16,
    pub collector_set_id: u32,
    pub obs_domain_id: u32,
    pub obs_point_id: u32,
    /// NONE for no sampling port.
    pub sampling_port: u16,
    pub direction: u8,
    /// The wire form it arrived in, kept for re-encoding.
    pub raw: Raw,
}

impl Default for Sample {
    fn default() -> Self {
        Sample {
            probability: 0,
            collector_set_id: 0,
            obs_domain_id: 0,
            obs_point_id: 0,
            sampling_port: port::NONE,
            direction: DIRECTION_DEFAULT,
            raw: Raw::NxSample,
        }
    }
}

impl ActionType for Sample {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let mut a = Sample {
            probability: v.u16(10)?,
            collector_set_id: v.u32(12)?,
            obs_domain_id: v.u32(16)?,
            obs_point_id: v.u32(20)?,
            raw,
            ..Sample::default()
        };
        if raw != Raw::NxSample {
            a.sampling_port = v.u16(24)?;
        }
        if raw == Raw::NxSample3 {
            v.expect_zero(27, 5, MUST_BE_ZERO)?;
            a.direction = v.u8(26)?;
            if a.direction > DIRECTION_EGRESS {
                return Err(OfpError::BadAction(BadActionCode::BadArgument));
            }
        }
        if a.probability == 0 {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let raw = if self.raw == Raw::NxSample3 || self.direction != DIRECTION_DEFAULT {
            Raw::NxSample3
        } else if self.raw == Raw::NxSample2 || self.sampling_port != port::NONE {
            Raw::NxSample2
        } else {
            Raw::NxSample
        };
        let start = wire::begin(out, raw);
        out.put_u16(self.probability);
        out.put_u32(self.collector_set_id);
        out.put_u32(self.obs_domain_id);
        out.put_u32(self.obs_point_id);
        if raw != Raw::NxSample {
            out.put_u16(self.sampling_port);
            out.put_u8(self.direction);
        }
        wire::finish(out, start, raw);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            "sample(probability={},collector_set_id={},obs_domain_id={},obs_point_id={}",
            self.probability, self.collector_set_id, self.obs_domain_id, self.obs_point_id
        );
        if self.sampling_port != port::NONE {
            out.push_str(",sampling_port=");
            text::format_port(self.sampling_port, out);
        }
        match self.direction {
            DIRECTION_INGRESS => out.push_str(",ingress"),
            DIRECTION_EGRESS => out.push_str(",egress"),
            _ => {}
        }
        out.push(')');
    }

    fn ofpact_name(&self) -> &'static str {
        "sample"
    }
}

pub(crate) fn parse_sample(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut a = Sample::default();
    for (key, value) in KeyValues::new(arg) {
        match key {
            "probability" => {
                a.probability = text::str_to_u16(value, "probability")?;
                if a.probability == 0 {
                    return Err(ParseError::msg(format!(
                        "invalid probability value \"{value}\""
                    )));
                }
            }
            "collector_set_id" => a.collector_set_id = text::str_to_u32(value)?,
            "obs_domain_id" => a.obs_domain_id = text::str_to_u32(value)?,
            "obs_point_id" => a.obs_point_id = text::str_to_u32(value)?,
            "sampling_port" => {
                a.sampling_port = text::parse_port(value, cx.ports)
                    .ok_or_else(|| ParseError::msg(format!("{value}: unknown port")))?;
            }
            "ingress" => a.direction = DIRECTION_INGRESS,
            "egress" => a.direction = DIRECTION_EGRESS,
            _ => {
                return Err(ParseError::msg(format!(
                    "invalid key \"{key}\" in \"sample\" argument"
                )))
            }
        }
    }
    if a.probability == 0 {
        return Err(ParseError::msg(
            "non-zero \"probability\" must be specified on sample",
        ));
    }
    cx.push(a);
    Ok(())
}
