//! IP TTL actions: `mod_nw_ttl:N` (OFPAT_SET_NW_TTL) and `dec_ttl` /
//! `dec_ttl(ID,...)` (OFPAT_DEC_NW_TTL, or NXAST_DEC_TTL_CNT_IDS when
//! controller ids other than just 0 are named).

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, ParseError, ParseResult};
use super::wire::{self, View, MUST_BE_ZERO};

fn check_ip(cx: &mut CheckCx) -> Result<(), ParseError> {
    if !cx.is_ip_any() {
        cx.inconsistent();
    }
    Ok(())
}

/// `mod_nw_ttl:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetNwTtl {
    pub ttl: u8,
}

impl ActionType for SetNwTtl {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(SetNwTtl { ttl: v.u8(4)? })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::Of11SetNwTtl);
        out.put_u8(self.ttl);
        wire::finish(out, start, Raw::Of11SetNwTtl);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "mod_nw_ttl:{}", self.ttl);
    }

    fn ofpact_name(&self) -> &'static str {
        "mod_nw_ttl"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        check_ip(cx)
    }
}

pub(crate) fn parse_set_nw_ttl(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(SetNwTtl {
        ttl: text::str_to_u8(arg, "TTL")?,
    });
    Ok(())
}

/// `dec_ttl`, with the controller ids that get a packet-in when the TTL
/// runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecTtl {
    pub controller_ids: Vec<u16>,
    /// Written as `dec_ttl(...)` / sent as NXAST_DEC_TTL_CNT_IDS.
    pub cnt_ids: bool,
}

impl Default for DecTtl {
    fn default() -> Self {
        DecTtl {
            controller_ids: vec![0],
            cnt_ids: false,
        }
    }
}

impl ActionType for DecTtl {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        if raw == Raw::OfDecNwTtl {
            return Ok(DecTtl::default());
        }
        let n = usize::from(v.u16(10)?);
        v.expect_zero(12, 4, MUST_BE_ZERO)?;
        let ids = v.rest(16)?;
        if ids.len() < 2 * n {
            return Err(OfpError::BadAction(BadActionCode::BadLen));
        }
        Ok(DecTtl {
            controller_ids: ids
                .chunks_exact(2)
                .take(n)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
            cnt_ids: true,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        if !self.cnt_ids && self.controller_ids == [0] {
            let start = wire::begin(out, Raw::OfDecNwTtl);
            wire::finish(out, start, Raw::OfDecNwTtl);
            return;
        }
        let start = wire::begin(out, Raw::NxDecTtlCntIds);
        out.put_u16(u16::try_from(self.controller_ids.len()).unwrap_or(u16::MAX));
        out.put_u32(0);
        for id in &self.controller_ids {
            out.put_u16(*id);
        }
        wire::finish(out, start, Raw::NxDecTtlCntIds);
    }

    fn format(&self, out: &mut String) {
        out.push_str("dec_ttl");
        if self.cnt_ids {
            let ids: Vec<String> = self.controller_ids.iter().map(u16::to_string).collect();
            let _ = write!(out, "({})", ids.join(","));
        }
    }

    fn ofpact_name(&self) -> &'static str {
        "dec_ttl"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        check_ip(cx)
    }
}

/// C's `atoi()`: leading white space, a sign, then digits; 0 if none.
fn atoi(s: &str) -> u16 {
    let s = s.trim_start();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let n = digits[..end].bytes().fold(0i64, |acc, d| {
        acc.wrapping_mul(10).wrapping_add(i64::from(d - b'0'))
    });
    (if neg { n.wrapping_neg() } else { n }) as u16
}

pub(crate) fn parse_dec_ttl(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    if arg.is_empty() {
        cx.push(DecTtl::default());
        return Ok(());
    }
    let ids: Vec<u16> = arg
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(atoi)
        .collect();
    if ids.is_empty() {
        return Err(ParseError::msg(
            "dec_ttl_cnt_ids: expected at least one controller id.",
        ));
    }
    cx.push(DecTtl {
        controller_ids: ids,
        cnt_ids: true,
    });
    Ok(())
}
