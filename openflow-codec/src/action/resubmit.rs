//! `resubmit:PORT` and `resubmit([PORT],[TABLE][,ct])`: NXAST_RESUBMIT,
//! NXAST_RESUBMIT_TABLE and NXAST_RESUBMIT_TABLE_CT.
//!
//! Quirk pinned from ovs-ofctl 3.1: text `resubmit:3` is sent as
//! RESUBMIT_TABLE with table 255; only a decoded NXAST_RESUBMIT goes back
//! out as one.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::{match_inconsistent, CheckCx};
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, port, ParseError, ParseResult};
use super::wire::{self, View};

/// "No table": resubmit to the current one.
pub const TABLE_NONE: u8 = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resubmit {
    /// IN_PORT for "the packet's own in_port".
    pub in_port: u16,
    pub table: u8,
    /// Use the connection-tracking original-direction tuple (`,ct`).
    pub ct: bool,
    /// It arrived as the short NXAST_RESUBMIT.
    pub short: bool,
}

impl ActionType for Resubmit {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let in_port = v.u16(10)?;
        if raw == Raw::NxResubmit {
            return Ok(Resubmit {
                in_port,
                table: TABLE_NONE,
                ct: false,
                short: true,
            });
        }
        v.expect_zero(13, 3, OfpError::BadAction(BadActionCode::BadArgument))?;
        Ok(Resubmit {
            in_port,
            table: v.u8(12)?,
            ct: raw == Raw::NxResubmitTableCt,
            short: false,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let raw = if self.table == TABLE_NONE && self.short && !self.ct {
            Raw::NxResubmit
        } else if self.ct {
            Raw::NxResubmitTableCt
        } else {
            Raw::NxResubmitTable
        };
        let start = wire::begin(out, raw);
        out.put_u16(self.in_port);
        if raw != Raw::NxResubmit {
            out.put_u8(self.table);
        }
        wire::finish(out, start, raw);
    }

    fn format(&self, out: &mut String) {
        if self.in_port != port::IN_PORT && self.table == TABLE_NONE {
            out.push_str("resubmit:");
            text::format_port(self.in_port, out);
            return;
        }
        out.push_str("resubmit(");
        if self.in_port != port::IN_PORT {
            text::format_port(self.in_port, out);
        }
        out.push(',');
        if self.table != TABLE_NONE {
            let _ = write!(out, "{}", self.table);
        }
        if self.ct {
            out.push_str(",ct");
        }
        out.push(')');
    }

    fn ofpact_name(&self) -> &'static str {
        "resubmit"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if self.ct && !cx.is_ct_valid() {
            return Err(match_inconsistent());
        }
        Ok(())
    }
}

/// `resubmit:PORT` or `resubmit([PORT],[TABLE][,ct])`.
pub(crate) fn parse_resubmit(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut parts = arg.splitn(3, ',');
    let in_port = match parts.next() {
        Some(s) if !s.is_empty() => text::parse_port(s, cx.ports)
            .ok_or_else(|| ParseError::msg(format!("{s}: resubmit to unknown port")))?,
        _ => port::IN_PORT,
    };
    let table = match parts.next() {
        Some(s) if !s.is_empty() => text::parse_table(s)
            .ok_or_else(|| ParseError::msg(format!("{s}: resubmit to unknown table")))?,
        _ => TABLE_NONE,
    };
    let ct = match parts.next() {
        // strsep() takes only up to the next comma.
        Some(s) => match s.split(',').next().unwrap_or_default() {
            "" => false,
            "ct" => true,
            other => return Err(ParseError::msg(format!("{other}: unknown parameter"))),
        },
        None => false,
    };
    if in_port == port::IN_PORT && table == TABLE_NONE {
        return Err(ParseError::msg(
            "at least one \"in_port\" or \"table\" must be specified on resubmit",
        ));
    }
    cx.push(Resubmit {
        in_port,
        table,
        ct,
        short: false,
    });
    Ok(())
}
