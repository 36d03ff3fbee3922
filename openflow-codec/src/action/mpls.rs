//! MPLS actions: `push_mpls:ETHERTYPE`, `pop_mpls:ETHERTYPE`,
//! `set_mpls_ttl(N)` and `dec_mpls_ttl`.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, ParseError, ParseResult};
use super::wire::{self, View};

fn is_mpls_ethertype(t: u16) -> bool {
    t == 0x8847 || t == 0x8848
}

/// `push_mpls:ETHERTYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushMpls {
    pub ethertype: u16,
}

impl ActionType for PushMpls {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let ethertype = v.u16(4)?;
        if !is_mpls_ethertype(ethertype) {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(PushMpls { ethertype })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfPushMpls);
        out.put_u16(self.ethertype);
        wire::finish(out, start, Raw::OfPushMpls);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "push_mpls:0x{:04x}", self.ethertype);
    }

    fn ofpact_name(&self) -> &'static str {
        "push_mpls"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if !cx.is_ethernet() {
            cx.inconsistent();
        }
        // The payload is now opaque MPLS.
        cx.set_dl_type(self.ethertype);
        cx.set_nw_proto(0);
        Ok(())
    }
}

pub(crate) fn parse_push_mpls(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(PushMpls {
        ethertype: text::str_to_u16(arg, "push_mpls")?,
    });
    Ok(())
}

/// `pop_mpls:ETHERTYPE` (the Ethertype of what is under the label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopMpls {
    pub ethertype: u16,
}

impl ActionType for PopMpls {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(PopMpls {
            ethertype: v.u16(4)?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfPopMpls);
        out.put_u16(self.ethertype);
        wire::finish(out, start, Raw::OfPopMpls);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "pop_mpls:0x{:04x}", self.ethertype);
    }

    fn ofpact_name(&self) -> &'static str {
        "pop_mpls"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if !cx.is_ethernet() || !cx.is_mpls() {
            cx.inconsistent();
        }
        cx.set_dl_type(self.ethertype);
        Ok(())
    }
}

pub(crate) fn parse_pop_mpls(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(PopMpls {
        ethertype: text::str_to_u16(arg, "pop_mpls")?,
    });
    Ok(())
}

fn check_mpls(cx: &mut CheckCx) -> Result<(), ParseError> {
    if !cx.is_mpls() {
        cx.inconsistent();
    }
    Ok(())
}

/// `set_mpls_ttl(N)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetMplsTtl {
    pub ttl: u8,
}

impl ActionType for SetMplsTtl {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(SetMplsTtl { ttl: v.u8(4)? })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfSetMplsTtl);
        out.put_u8(self.ttl);
        wire::finish(out, start, Raw::OfSetMplsTtl);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "set_mpls_ttl({})", self.ttl);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_mpls_ttl"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        check_mpls(cx)
    }
}

pub(crate) fn parse_set_mpls_ttl(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    if arg.is_empty() {
        return Err(ParseError::msg("set_mpls_ttl: expected ttl."));
    }
    cx.push(SetMplsTtl {
        ttl: text::str_to_u8(arg, "MPLS TTL")?,
    });
    Ok(())
}

/// `dec_mpls_ttl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecMplsTtl;

impl ActionType for DecMplsTtl {
    fn decode(_: Raw, _: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(DecMplsTtl)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfDecMplsTtl);
        wire::finish(out, start, Raw::OfDecMplsTtl);
    }

    fn format(&self, out: &mut String) {
        out.push_str("dec_mpls_ttl");
    }

    fn ofpact_name(&self) -> &'static str {
        "dec_mpls_ttl"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        check_mpls(cx)
    }
}

pub(crate) fn parse_dec_mpls_ttl(_: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(DecMplsTtl);
    Ok(())
}
