//! `output:PORT` (OFPAT_OUTPUT), `output(port=P,max_len=N)`
//! (NXAST_OUTPUT_TRUNC), and `enqueue:PORT:QUEUE`, which OpenFlow 1.3
//! spells as `set_queue`, `output`, `pop_queue`.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::simple::{PopQueue, SetQueue};
use super::text::{self, port, KeyValues, ParseError, ParseResult};
use super::wire::{self, View};

/// Sends the packet to `port` (OVS's 16-bit numbering); `max_len` bytes go
/// to the controller when `port` is CONTROLLER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub port: u16,
    pub max_len: u16,
}

impl Output {
    /// `output:PORT` as ovs-ofctl parses it: all of the packet to the
    /// controller, nothing otherwise.
    pub fn to(port: u16) -> Self {
        let max_len = if port == port::CONTROLLER {
            u16::MAX
        } else {
            0
        };
        Output { port, max_len }
    }
}

/// OVS's `ofpact_check_output_port()` against OFPP_MAX.
pub(crate) fn check_output_port(p: u16) -> Result<(), OfpError> {
    match p {
        port::IN_PORT
        | port::TABLE
        | port::NORMAL
        | port::FLOOD
        | port::ALL
        | port::CONTROLLER
        | port::LOCAL => Ok(()),
        p if p < port::MAX => Ok(()),
        _ => Err(OfpError::BadAction(BadActionCode::BadOutPort)),
    }
}

impl ActionType for Output {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let port = text::port_from_of13(v.u32(4)?)?;
        check_output_port(port)?;
        Ok(Output {
            port,
            max_len: v.u16(8)?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::Of11Output);
        out.put_u32(nxm_fields::port::from_ofp10(self.port));
        out.put_u16(self.max_len);
        wire::finish(out, start, Raw::Of11Output);
    }

    fn format(&self, out: &mut String) {
        if self.port < port::MAX {
            out.push_str("output:");
        }
        text::format_port(self.port, out);
        if self.port == port::CONTROLLER {
            let _ = write!(out, ":{}", self.max_len);
        }
    }

    fn ofpact_name(&self) -> &'static str {
        "output"
    }

    fn check(&mut self, _: &mut CheckCx) -> Result<(), ParseError> {
        check_output_port(self.port).map_err(ParseError::Inconsistent)
    }
}

/// Sends at most `max_len` bytes of the packet to `port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputTrunc {
    pub port: u16,
    pub max_len: u32,
}

/// The shortest truncation OVS allows: an Ethernet header.
const ETH_HEADER_LEN: u32 = 14;

impl ActionType for OutputTrunc {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let a = OutputTrunc {
            port: v.u16(10)?,
            max_len: v.u32(12)?,
        };
        if a.max_len < ETH_HEADER_LEN {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxOutputTrunc);
        out.put_u16(self.port);
        out.put_u32(self.max_len);
        wire::finish(out, start, Raw::NxOutputTrunc);
    }

    fn format(&self, out: &mut String) {
        out.push_str("output(port=");
        text::format_port(self.port, out);
        let _ = write!(out, ",max_len={})", self.max_len);
    }

    fn ofpact_name(&self) -> &'static str {
        "output_trunc"
    }

    fn check(&mut self, _: &mut CheckCx) -> Result<(), ParseError> {
        check_output_port(self.port).map_err(ParseError::Inconsistent)
    }
}

/// `output:ARG`: a port, `port=P,max_len=N` (truncation), or a subfield
/// holding the port.
pub(crate) fn parse_output(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    if arg.contains("port") && arg.contains("max_len") {
        return parse_output_trunc(arg, cx);
    }
    if let Some(p) = text::parse_port(arg, cx.ports) {
        cx.push(Output::to(p));
        return Ok(());
    }
    if let Ok(a) = super::output_reg::OutputReg::parse(arg) {
        cx.push(a);
        return Ok(());
    }
    Err(ParseError::msg(format!("{arg}: output to unknown port")))
}

fn parse_output_trunc(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut a = OutputTrunc {
        port: 0,
        max_len: 0,
    };
    for (key, value) in KeyValues::new(arg) {
        match key {
            "port" => {
                a.port = text::parse_port(value, cx.ports).ok_or_else(|| {
                    ParseError::msg(format!("output to unknown truncate port: {value}"))
                })?;
                if a.port > port::MAX && a.port != port::LOCAL && a.port != port::IN_PORT {
                    return Err(ParseError::msg(format!(
                        "output to unsupported truncate port: {value}"
                    )));
                }
            }
            "max_len" => {
                a.max_len = text::str_to_u32(value)?;
                if a.max_len < ETH_HEADER_LEN {
                    return Err(ParseError::msg(format!(
                        "max_len {} is less than the minimum value {ETH_HEADER_LEN}",
                        a.max_len
                    )));
                }
            }
            _ => {
                return Err(ParseError::msg(format!(
                    "invalid key '{key}' in output_trunc argument"
                )))
            }
        }
    }
    cx.push(a);
    Ok(())
}

/// `enqueue:PORT:QUEUE` or `enqueue(PORT,QUEUE)`. OpenFlow 1.3 has no
/// enqueue action, so OVS sends `set_queue:Q,output:P,pop_queue` (with the
/// output's max_len at 65535).
pub(crate) fn parse_enqueue(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    // strtok_r(arg, ":q,"): skip leading delimiters, the port runs to the
    // next one, and the queue is everything after that delimiter.
    let is_delim = |c: char| matches!(c, ':' | 'q' | ',');
    let trimmed = arg.trim_start_matches(is_delim);
    let split = trimmed
        .find(is_delim)
        .map(|i| (&trimmed[..i], &trimmed[i + 1..]));
    let (port_s, queue_s) = match split {
        Some((p, q)) if !p.is_empty() && !q.is_empty() => (p, q),
        _ => {
            return Err(ParseError::msg(
                "\"enqueue\" syntax is \"enqueue:PORT:QUEUE\" or \"enqueue(PORT,QUEUE)\"",
            ))
        }
    };
    let p = text::parse_port(port_s, cx.ports)
        .ok_or_else(|| ParseError::msg(format!("{port_s}: enqueue to unknown port")))?;
    let queue_id = text::str_to_u32(queue_s)?;
    if p >= port::MAX && p != port::IN_PORT && p != port::LOCAL {
        return Err(ParseError::Inconsistent(OfpError::BadAction(
            BadActionCode::BadOutPort,
        )));
    }
    cx.push(SetQueue { queue_id });
    cx.push(Output {
        port: p,
        max_len: u16::MAX,
    });
    cx.push(PopQueue);
    Ok(())
}
