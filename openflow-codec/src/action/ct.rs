//! `ct(...)` (NXAST_CT): send the packet through the connection tracker,
//! with nested `nat(...)` and `exec(...)` actions.
//!
//! Quirk pinned from ovs-ofctl 3.1: nested actions are kept in the order
//! written, and only a NAT that comes *first* is printed outside `exec(...)`,
//! so `ct(commit,exec(A),nat)` prints as `ct(commit,exec(A,nat))`.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::Subfield;

use crate::error::{BadActionCode, OfpError};

use super::check::{ct_state, match_inconsistent, CheckCx, IPPROTO_TCP, IPPROTO_UDP};
use super::field as wf;
use super::nat;
use super::parse::ParseCx;
use super::registry::{Action, ActionType, DecodeCx, Raw};
use super::text::{self, KeyValues, ParseError, ParseResult};
use super::verify::Outer;
use super::wire::{self, View};

/// NX_CT_F_* flags.
pub mod flags {
    pub const COMMIT: u16 = 1 << 0;
    pub const FORCE: u16 = 1 << 1;
}

/// "No recirculation" (NX_CT_RECIRC_NONE).
pub const TABLE_NONE: u8 = 255;
/// Well-known ports naming the ALGs OVS knows.
pub const ALG_FTP: u16 = 21;
pub const ALG_TFTP: u16 = 69;

/// Where the zone comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtZone {
    Imm(u16),
    Field(Subfield),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ct {
    pub flags: u16,
    pub zone: CtZone,
    pub table: u8,
    pub alg: u16,
    pub actions: Vec<Action>,
}

impl Default for Ct {
    fn default() -> Self {
        Ct {
            flags: 0,
            zone: CtZone::Imm(0),
            table: TABLE_NONE,
            alg: 0,
            actions: Vec::new(),
        }
    }
}

fn bad_argument() -> OfpError {
    OfpError::BadAction(BadActionCode::BadArgument)
}

impl ActionType for Ct {
    fn decode(_: Raw, v: View<'_>, cx: &DecodeCx) -> Result<Self, OfpError> {
        let f = v.u16(10)?;
        if f & flags::FORCE != 0 && f & flags::COMMIT == 0 {
            return Err(bad_argument());
        }
        let zone_src = v.u32(12)?;
        let zone = if zone_src == 0 {
            CtZone::Imm(v.u16(16)?)
        } else {
            let (ofs, n_bits) = wf::unpack_ofs_nbits(v.u16(16)?);
            let def = wf::field_from_word(zone_src)?;
            wf::check_bounds(def, ofs, n_bits)?;
            if n_bits != 16 {
                return Err(wf::BAD_SET_LEN);
            }
            CtZone::Field(Subfield {
                field: def.id,
                ofs,
                n_bits,
            })
        };
        let actions = super::decode_nested(v.rest(24)?, cx, Outer::Ct)?;
        if f & flags::COMMIT == 0 {
            let plain_nat =
                |a: &Action| matches!(a, Action::Nat(n) if n.flags == 0 && n.addrs.is_none());
            if !actions.iter().all(plain_nat) {
                return Err(bad_argument());
            }
        }
        Ok(Ct {
            flags: f,
            zone,
            table: v.u8(18)?,
            alg: v.u16(22)?,
            actions,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxCt);
        out.put_u16(self.flags);
        match self.zone {
            CtZone::Imm(z) => {
                out.put_u32(0);
                out.put_u16(z);
            }
            CtZone::Field(sf) => {
                wf::put_word(out, sf.def());
                out.put_u16(wf::ofs_nbits(&sf));
            }
        }
        out.put_u8(self.table);
        out.put_bytes(0, 3);
        out.put_u16(self.alg);
        super::encode_actions(&self.actions, out);
        wire::set_len(out, start);
    }

    fn format(&self, out: &mut String) {
        let mut parts = Vec::new();
        if self.flags & flags::COMMIT != 0 {
            parts.push("commit".to_string());
        }
        if self.flags & flags::FORCE != 0 {
            parts.push("force".to_string());
        }
        if self.table != TABLE_NONE {
            parts.push(format!("table={}", self.table));
        }
        match self.zone {
            CtZone::Field(sf) => parts.push(format!("zone={sf}")),
            CtZone::Imm(0) => {}
            CtZone::Imm(z) => parts.push(format!("zone={z}")),
        }
        let mut rest = self.actions.as_slice();
        if let Some((Action::Nat(n), tail)) = rest.split_first() {
            let mut s = String::new();
            n.format(&mut s);
            parts.push(s);
            rest = tail;
        }
        if !rest.is_empty() {
            let mut s = String::from("exec(");
            super::format_into(rest, &mut s);
            s.push(')');
            parts.push(s);
        }
        match self.alg {
            0 => {}
            ALG_FTP => parts.push("alg=ftp".to_string()),
            ALG_TFTP => parts.push("alg=tftp".to_string()),
            alg => parts.push(format!("alg={alg}")),
        }
        let _ = write!(out, "ct({})", parts.join(","));
    }

    fn ofpact_name(&self) -> &'static str {
        "ct"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        let proto = cx.nw_proto();
        if !cx.is_ip_any()
            || (cx.ct_state() & ct_state::INVALID != 0 && self.flags & flags::COMMIT != 0)
            || (self.alg == ALG_FTP && proto != IPPROTO_TCP)
            || (self.alg == ALG_TFTP && proto != IPPROTO_UDP)
        {
            return Err(match_inconsistent());
        }
        // OVS returns right after checking a zone field, so the nested
        // actions of such a ct go unchecked.
        if let CtZone::Field(sf) = self.zone {
            return cx.check_subfield_prereqs(sf.def());
        }
        cx.nested(|cx| super::check_actions(&mut self.actions, cx))
    }
}

/// `ct(commit,force,table=N,zone=N|SUBFIELD,alg=ftp|tftp,nat(...),exec(...))`.
pub(crate) fn parse_ct(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut ct = Ct::default();
    for (key, value) in KeyValues::new(arg) {
        match key {
            "commit" => ct.flags |= flags::COMMIT,
            "force" => ct.flags |= flags::FORCE,
            "table" => {
                ct.table = text::parse_table(value)
                    .ok_or_else(|| ParseError::msg(format!("unknown table {value}")))?;
                if ct.table == TABLE_NONE {
                    return Err(ParseError::msg(format!("invalid table {:#x}", ct.table)));
                }
            }
            "zone" => {
                ct.zone = match text::str_to_u16(value, "zone") {
                    Ok(z) => CtZone::Imm(z),
                    Err(_) => CtZone::Field(
                        Subfield::parse(value).map_err(|e| ParseError::msg(e.to_string()))?,
                    ),
                }
            }
            "alg" => {
                ct.alg = match value {
                    "ftp" => ALG_FTP,
                    "tftp" => ALG_TFTP,
                    _ => {
                        return Err(ParseError::msg(format!(
                            "invalid conntrack helper \"{value}\""
                        )))
                    }
                }
            }
            "nat" => ct.actions.push(nat::parse_nat(value)?.into()),
            "exec" => ct.actions.extend(cx.nested(value, Outer::Ct)?),
            _ => {
                return Err(ParseError::msg(format!(
                    "invalid argument to \"ct\" action: `{key}'"
                )))
            }
        }
    }
    if ct.flags & flags::FORCE != 0 && ct.flags & flags::COMMIT == 0 {
        return Err(ParseError::msg("\"force\" flag requires \"commit\" flag."));
    }
    cx.push(ct);
    Ok(())
}
