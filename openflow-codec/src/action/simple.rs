//! Small actions with a fixed layout and little or no argument: `group`,
//! `set_queue`, `pop_queue`, `note`, `exit`, `ct_clear`, `fin_timeout`,
//! `set_tunnel` (as decoded), `conjunction`, `dec_nsh_ttl` and the never
//! decoded `debug_recirc`/`debug_slow`.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::{CheckCx, IPPROTO_TCP};
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, KeyValues, ParseError, ParseResult};
use super::wire::{self, View, EXT_HEADER_LEN};

/// `group:ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub group_id: u32,
}

impl ActionType for Group {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(Group {
            group_id: v.u32(4)?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfGroup);
        out.put_u32(self.group_id);
        wire::finish(out, start, Raw::OfGroup);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "group:{}", self.group_id);
    }

    fn ofpact_name(&self) -> &'static str {
        "group"
    }
}

pub(crate) fn parse_group(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(Group {
        group_id: text::str_to_u32(arg)?,
    });
    Ok(())
}

/// `set_queue:Q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetQueue {
    pub queue_id: u32,
}

impl ActionType for SetQueue {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(SetQueue {
            queue_id: v.u32(4)?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfSetQueue);
        out.put_u32(self.queue_id);
        wire::finish(out, start, Raw::OfSetQueue);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "set_queue:{}", self.queue_id);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_queue"
    }
}

pub(crate) fn parse_set_queue(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(SetQueue {
        queue_id: text::str_to_u32(arg)?,
    });
    Ok(())
}

/// Declares a Nicira action that is only its header, with its keyword.
macro_rules! header_only {
    ($(#[$doc:meta])* $name:ident, $raw:ident, $text:literal, $parse:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl ActionType for $name {
            fn decode(_: Raw, _: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
                Ok($name)
            }

            fn encode(&self, out: &mut BytesMut) {
                let start = wire::begin(out, Raw::$raw);
                wire::finish(out, start, Raw::$raw);
            }

            fn format(&self, out: &mut String) {
                out.push_str($text);
            }

            fn ofpact_name(&self) -> &'static str {
                $text
            }
        }

        pub(crate) fn $parse(_: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
            cx.push($name);
            Ok(())
        }
    };
}

header_only!(
    /// `pop_queue`: back to the queue the packet came with.
    PopQueue, NxPopQueue, "pop_queue", parse_pop_queue
);
header_only!(
    /// `exit`: stop executing actions.
    Exit, NxExit, "exit", parse_exit
);
header_only!(
    /// `ct_clear`: forget the connection-tracking state.
    CtClear, NxCtClear, "ct_clear", parse_ct_clear
);

/// `dec_nsh_ttl`: decrement the NSH TTL; only for an NSH packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecNshTtl;

impl ActionType for DecNshTtl {
    fn decode(_: Raw, _: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(DecNshTtl)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxDecNshTtl);
        wire::finish(out, start, Raw::NxDecNshTtl);
    }

    fn format(&self, out: &mut String) {
        out.push_str("dec_nsh_ttl");
    }

    fn ofpact_name(&self) -> &'static str {
        "dec_nsh_ttl"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if !cx.is_nsh() {
            cx.inconsistent();
        }
        Ok(())
    }
}

pub(crate) fn parse_dec_nsh_ttl(_: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(DecNshTtl);
    Ok(())
}

/// OVS's testing actions `debug_recirc` and `debug_slow`: ovs-ofctl
/// encodes them, but a switch (OVS's decoder too) refuses them on the wire
/// as unknown Nicira actions, so they never decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debug {
    Recirc,
    Slow,
}

impl ActionType for Debug {
    fn decode(_: Raw, _: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Err(OfpError::BadAction(BadActionCode::BadVendorType))
    }

    fn encode(&self, out: &mut BytesMut) {
        let raw = match self {
            Debug::Recirc => Raw::NxDebugRecirc,
            Debug::Slow => Raw::NxDebugSlow,
        };
        let start = wire::begin(out, raw);
        wire::finish(out, start, raw);
    }

    fn format(&self, out: &mut String) {
        out.push_str(self.ofpact_name());
    }

    fn ofpact_name(&self) -> &'static str {
        match self {
            Debug::Recirc => "debug_recirc",
            Debug::Slow => "debug_slow",
        }
    }
}

pub(crate) fn parse_debug_recirc(_: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(Debug::Recirc);
    Ok(())
}

pub(crate) fn parse_debug_slow(_: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(Debug::Slow);
    Ok(())
}

/// `note:HEX`: bytes the switch ignores. Decoded notes keep the zero
/// padding that made the action a multiple of 8 bytes, as OVS does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub data: Vec<u8>,
}

impl ActionType for Note {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(Note {
            data: v.rest(EXT_HEADER_LEN)?.to_vec(),
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxNote);
        out.put_slice(&self.data);
        wire::finish(out, start, Raw::NxNote);
    }

    fn format(&self, out: &mut String) {
        out.push_str("note:");
        text::format_hex_bytes(&self.data, out);
    }

    fn ofpact_name(&self) -> &'static str {
        "note"
    }
}

pub(crate) fn parse_note(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let data = text::parse_hex_bytes(arg)
        .ok_or_else(|| ParseError::msg("bad hex digit in `note' argument"))?;
    cx.push(Note { data });
    Ok(())
}

/// `fin_timeout(idle_timeout=N,hard_timeout=N)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FinTimeout {
    pub idle_timeout: u16,
    pub hard_timeout: u16,
}

impl ActionType for FinTimeout {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(FinTimeout {
            idle_timeout: v.u16(10)?,
            hard_timeout: v.u16(12)?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxFinTimeout);
        out.put_u16(self.idle_timeout);
        out.put_u16(self.hard_timeout);
        wire::finish(out, start, Raw::NxFinTimeout);
    }

    fn format(&self, out: &mut String) {
        let mut parts = Vec::new();
        if self.idle_timeout != 0 {
            parts.push(format!("idle_timeout={}", self.idle_timeout));
        }
        if self.hard_timeout != 0 {
            parts.push(format!("hard_timeout={}", self.hard_timeout));
        }
        let _ = write!(out, "fin_timeout({})", parts.join(","));
    }

    fn ofpact_name(&self) -> &'static str {
        "fin_timeout"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if cx.nw_proto() != IPPROTO_TCP {
            cx.inconsistent();
        }
        Ok(())
    }
}

pub(crate) fn parse_fin_timeout(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut a = FinTimeout::default();
    for (key, value) in KeyValues::new(arg) {
        match key {
            "idle_timeout" => a.idle_timeout = text::str_to_u16(value, key)?,
            "hard_timeout" => a.hard_timeout = text::str_to_u16(value, key)?,
            _ => {
                return Err(ParseError::msg(format!(
                    "invalid key '{key}' in 'fin_timeout' argument"
                )))
            }
        }
    }
    cx.push(a);
    Ok(())
}

/// NXAST_SET_TUNNEL / NXAST_SET_TUNNEL64, as a controller may send them.
/// (ovs-ofctl's `set_tunnel:` becomes a set_field of `tun_id` in OF1.3.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetTunnel {
    pub tun_id: u64,
    /// Sent as the 64-bit form.
    pub wide: bool,
}

impl ActionType for SetTunnel {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(if raw == Raw::NxSetTunnel64 {
            SetTunnel {
                tun_id: v.u64(16)?,
                wide: true,
            }
        } else {
            SetTunnel {
                tun_id: u64::from(v.u32(12)?),
                wide: false,
            }
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        match u32::try_from(self.tun_id) {
            Ok(narrow) if !self.wide => {
                let start = wire::begin(out, Raw::NxSetTunnel);
                out.put_u16(0);
                out.put_u32(narrow);
                wire::finish(out, start, Raw::NxSetTunnel);
            }
            _ => {
                let start = wire::begin(out, Raw::NxSetTunnel64);
                out.put_bytes(0, 6);
                out.put_u64(self.tun_id);
                wire::finish(out, start, Raw::NxSetTunnel64);
            }
        }
    }

    fn format(&self, out: &mut String) {
        let wide = if self.wide || self.tun_id > u64::from(u32::MAX) {
            "64"
        } else {
            ""
        };
        let _ = write!(out, "set_tunnel{wide}:{:#x}", self.tun_id);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_tunnel"
    }
}

/// `conjunction(ID,K/N)`: clause K (1-based) of N of conjunction ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conjunction {
    pub id: u32,
    /// Zero-based on the wire; printed one-based.
    pub clause: u8,
    pub n_clauses: u8,
}

impl ActionType for Conjunction {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let a = Conjunction {
            clause: v.u8(10)?,
            n_clauses: v.u8(11)?,
            id: v.u32(12)?,
        };
        if a.n_clauses < 2 || a.n_clauses > 64 || a.clause >= a.n_clauses {
            return Err(OfpError::BadAction(BadActionCode::NxBadConjunction));
        }
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxConjunction);
        out.put_u8(self.clause);
        out.put_u8(self.n_clauses);
        out.put_u32(self.id);
        wire::finish(out, start, Raw::NxConjunction);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            "conjunction({},{}/{})",
            self.id,
            u16::from(self.clause) + 1,
            self.n_clauses
        );
    }

    fn ofpact_name(&self) -> &'static str {
        "conjunction"
    }
}

/// `conjunction(ID,K/N)`, with white space allowed around the numbers as
/// OVS's `sscanf("%i , %u / %u")` allows.
pub(crate) fn parse_conjunction(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let syntax = || ParseError::msg("\"conjunction\" syntax is \"conjunction(id,i/n)\"");
    let (id_s, rest) = arg.split_once(',').ok_or_else(syntax)?;
    let (k_s, n_s) = rest.split_once('/').ok_or_else(syntax)?;
    // A number too big for 64 bits wraps, as glibc's scanf reads it.
    let id = text::c_strtoull(id_s.trim())
        .or_else(|| nxm_fields::format::scan_decimal_wrapping(id_s.trim()))
        .ok_or_else(syntax)? as u32;
    // The clause numbers are `%hhu` conversions: 257 wraps to 1.
    let clause_number = |t: &str| match text::scan_c_unsigned(t.trim()) {
        Some((v, used)) if used == t.trim().len() => Ok(u64::from(v as u8)),
        _ => Err(syntax()),
    };
    let k = clause_number(k_s)?;
    let n = clause_number(n_s)?;
    if n < 2 {
        return Err(ParseError::msg("conjunction must have at least 2 clauses"));
    }
    if n > 64 {
        return Err(ParseError::msg("conjunction must have at most 64 clauses"));
    }
    if k < 1 {
        return Err(ParseError::msg("clause index must be positive"));
    }
    if k > n {
        return Err(ParseError::msg(
            "clause index must be less than or equal to number of clauses",
        ));
    }
    cx.push(Conjunction {
        id,
        clause: (k - 1) as u8,
        n_clauses: n as u8,
    });
    Ok(())
}
