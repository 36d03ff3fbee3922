//! `learn(...)` (NXAST_LEARN, NXAST_LEARN2): add or modify a flow built
//! from the packet being processed.
//!
//! The action carries the new flow's table, timeouts, priority, cookie and
//! flags, and a list of specs, each copying `n_bits` from a field of the
//! packet or an immediate value into the new flow's match, into a `load`
//! action of the new flow, or into an `output` port. NXAST_LEARN2 adds a
//! flow limit and a 1-bit `result_dst`; OVS sends it only when one of those
//! is used (or the action arrived as one).
//!
//! Fields are named by 32-bit NXM header words, so fields with only an
//! experimenter header cannot be used.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::{oxm, FieldDef, Match, Subfield, Value};

use crate::error::{BadActionCode, OfpError};

use super::check::{match_inconsistent, CheckCx};
use super::field as wf;
use super::parse::ParseCx;
use super::reg_move;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, KeyValues, ParseError, ParseResult};
use super::wire::{self, View, MUST_BE_ZERO};

/// NX_LEARN_F_* flags.
pub mod flags {
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    pub const DELETE_LEARNED: u16 = 1 << 1;
    /// NXAST_LEARN2 only: `result_dst` follows the fixed part.
    pub const WRITE_RESULT: u16 = 1 << 2;
}

/// A spec's 16-bit header: `n_bits` and the source and destination kinds.
mod spec_header {
    pub const N_BITS: u16 = 0x3ff;
    pub const SRC_IMMEDIATE: u16 = 1 << 13;
    pub const DST_MASK: u16 = 3 << 11;
    pub const DST_MATCH: u16 = 0;
    pub const DST_LOAD: u16 = 1 << 11;
    pub const DST_OUTPUT: u16 = 2 << 11;
}

/// Defaults of the learned flow (OFP_FLOW_PERMANENT, OFP_DEFAULT_PRIORITY).
const PERMANENT: u16 = 0;
const DEFAULT_PRIORITY: u16 = 0x8000;
const DEFAULT_TABLE: u8 = 1;
/// Size of NXAST_LEARN's fixed part, and of NXAST_LEARN2's.
const LEARN_LEN: usize = 32;
const LEARN2_LEN: usize = 40;

/// Where a spec's bits come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnSrc {
    Field(Subfield),
    Immediate(Value),
}

/// Where a spec's bits go in the learned flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnDst {
    Match(Subfield),
    Load(Subfield),
    Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnSpec {
    pub n_bits: u32,
    pub src: LearnSrc,
    pub dst: LearnDst,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learn {
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub fin_idle_timeout: u16,
    pub fin_hard_timeout: u16,
    pub priority: u16,
    pub cookie: u64,
    /// SEND_FLOW_REM and DELETE_LEARNED; WRITE_RESULT follows `result_dst`.
    pub flags: u16,
    pub table_id: u8,
    pub limit: u32,
    pub result_dst: Option<Subfield>,
    /// It arrived as NXAST_LEARN2, so it goes out as one again.
    pub v2: bool,
    pub specs: Vec<LearnSpec>,
}

impl Default for Learn {
    fn default() -> Self {
        Learn {
            idle_timeout: PERMANENT,
            hard_timeout: PERMANENT,
            fin_idle_timeout: 0,
            fin_hard_timeout: 0,
            priority: DEFAULT_PRIORITY,
            cookie: 0,
            flags: 0,
            table_id: DEFAULT_TABLE,
            limit: 0,
            result_dst: None,
            v2: false,
            specs: Vec::new(),
        }
    }
}

fn bad_argument() -> OfpError {
    OfpError::BadAction(BadActionCode::BadArgument)
}

fn bad_len() -> OfpError {
    OfpError::BadAction(BadActionCode::BadLen)
}

/// All-ones in the low `n_bits` bits.
fn low_bits(n_bits: u32) -> Value {
    Value::MAX.checked_shr(128 - n_bits.min(128)).unwrap_or(0)
}

/// Bytes an immediate of `n_bits` takes on the wire: whole 16-bit words.
fn imm_wire_len(n_bits: u32) -> usize {
    2 * n_bits.div_ceil(16) as usize
}

/// Reads a spec's `FIELD OFS` pair (a 32-bit NXM header word and an offset)
/// from the front of `p`, as a subfield of `n_bits` that must lie inside
/// its field.
fn pull_subfield(p: &mut &[u8], n_bits: u32) -> Result<Subfield, OfpError> {
    let (word, rest) = p.split_first_chunk::<4>().ok_or_else(bad_len)?;
    let (ofs, rest) = rest.split_first_chunk::<2>().ok_or_else(bad_len)?;
    *p = rest;
    let def = wf::field_from_word(u32::from_be_bytes(*word))?;
    let ofs = u32::from(u16::from_be_bytes(*ofs));
    wf::check_bounds(def, ofs, n_bits)?;
    Ok(Subfield {
        field: def.id,
        ofs,
        n_bits,
    })
}

fn put_subfield(out: &mut BytesMut, sf: &Subfield) {
    wf::put_word(out, sf.def());
    out.put_u16(sf.ofs as u16);
}

/// Decodes the specs that fill the rest of the action, up to a zero header;
/// what follows must be zero padding.
fn decode_specs(mut p: &[u8]) -> Result<Vec<LearnSpec>, OfpError> {
    let mut specs = Vec::new();
    while let Some((header, rest)) = p.split_first_chunk::<2>() {
        let header = u16::from_be_bytes(*header);
        if header == 0 {
            break;
        }
        p = rest;
        let n_bits = u32::from(header & spec_header::N_BITS);
        let immediate = header & spec_header::SRC_IMMEDIATE != 0;
        let dst_type = header & spec_header::DST_MASK;
        if dst_type == spec_header::DST_MASK || (dst_type == spec_header::DST_OUTPUT && immediate) {
            return Err(bad_argument());
        }
        let src = if immediate {
            // Nothing wider than 128 bits can be matched or loaded.
            if n_bits > Value::BITS {
                return Err(wf::BAD_SET_LEN);
            }
            let (bytes, rest) = p
                .split_at_checked(imm_wire_len(n_bits))
                .ok_or_else(bad_len)?;
            p = rest;
            LearnSrc::Immediate(
                bytes
                    .iter()
                    .fold(0, |acc: Value, &b| (acc << 8) | Value::from(b))
                    & low_bits(n_bits),
            )
        } else {
            LearnSrc::Field(pull_subfield(&mut p, n_bits)?)
        };
        let dst = match dst_type {
            spec_header::DST_MATCH => LearnDst::Match(pull_subfield(&mut p, n_bits)?),
            spec_header::DST_LOAD => LearnDst::Load(pull_subfield(&mut p, n_bits)?),
            _ => LearnDst::Output,
        };
        specs.push(LearnSpec { n_bits, src, dst });
    }
    if p.iter().any(|&b| b != 0) {
        return Err(bad_argument());
    }
    Ok(specs)
}

impl ActionType for Learn {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let v2 = raw == Raw::NxLearn2;
        if v2 && v.u16(38)? != 0 {
            return Err(MUST_BE_ZERO);
        }
        if v.u8(27)? != 0 {
            return Err(bad_argument());
        }
        let raw_flags = v.u16(24)?;
        let mut allowed = flags::SEND_FLOW_REM | flags::DELETE_LEARNED;
        if v2 {
            allowed |= flags::WRITE_RESULT;
        }
        let mut a = Learn {
            idle_timeout: v.u16(10)?,
            hard_timeout: v.u16(12)?,
            priority: v.u16(14)?,
            cookie: v.u64(16)?,
            flags: raw_flags & !flags::WRITE_RESULT,
            table_id: v.u8(26)?,
            fin_idle_timeout: v.u16(28)?,
            fin_hard_timeout: v.u16(30)?,
            limit: 0,
            result_dst: None,
            v2,
            specs: Vec::new(),
        };
        if a.table_id == 0xff || raw_flags & !allowed != 0 {
            return Err(bad_argument());
        }
        let mut specs_at = LEARN_LEN;
        if v2 {
            a.limit = v.u32(32)?;
            let result_ofs = u32::from(v.u16(36)?);
            specs_at = LEARN2_LEN;
            if raw_flags & flags::WRITE_RESULT != 0 {
                let (def, _, n) = wf::pull_header(v.rest(LEARN2_LEN)?)?;
                if !def.writable {
                    return Err(wf::BAD_SET_ARGUMENT);
                }
                wf::check_bounds(def, result_ofs, 1)?;
                a.result_dst = Some(Subfield {
                    field: def.id,
                    ofs: result_ofs,
                    n_bits: 1,
                });
                specs_at += n;
            } else if result_ofs != 0 {
                return Err(bad_argument());
            }
        }
        a.specs = decode_specs(v.rest(specs_at)?)?;
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let raw = if self.v2 || self.limit != 0 || self.result_dst.is_some() {
            Raw::NxLearn2
        } else {
            Raw::NxLearn
        };
        let start = wire::begin(out, raw);
        out.put_u16(self.idle_timeout);
        out.put_u16(self.hard_timeout);
        out.put_u16(self.priority);
        out.put_u64(self.cookie);
        let write_result = if self.result_dst.is_some() {
            flags::WRITE_RESULT
        } else {
            0
        };
        out.put_u16(self.flags | write_result);
        out.put_u8(self.table_id);
        out.put_u8(0);
        out.put_u16(self.fin_idle_timeout);
        out.put_u16(self.fin_hard_timeout);
        if raw == Raw::NxLearn2 {
            out.put_u32(self.limit);
            out.put_u16(self.result_dst.map_or(0, |sf| sf.ofs as u16));
            out.put_u16(0);
            if let Some(sf) = &self.result_dst {
                wf::put_header(out, sf.def(), false, wf::Naming::Nx);
            }
        }
        for spec in &self.specs {
            let imm_bit = match spec.src {
                LearnSrc::Immediate(_) => spec_header::SRC_IMMEDIATE,
                LearnSrc::Field(_) => 0,
            };
            let dst_type = match spec.dst {
                LearnDst::Match(_) => spec_header::DST_MATCH,
                LearnDst::Load(_) => spec_header::DST_LOAD,
                LearnDst::Output => spec_header::DST_OUTPUT,
            };
            out.put_u16(spec.n_bits as u16 | imm_bit | dst_type);
            match &spec.src {
                LearnSrc::Field(sf) => put_subfield(out, sf),
                LearnSrc::Immediate(value) => oxm::put_be(out, *value, imm_wire_len(spec.n_bits)),
            }
            if let LearnDst::Match(sf) | LearnDst::Load(sf) = &spec.dst {
                put_subfield(out, sf);
            }
        }
        wire::finish(out, start, raw);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "learn(table={}", self.table_id);
        let optional = [
            ("idle_timeout", self.idle_timeout),
            ("hard_timeout", self.hard_timeout),
            ("fin_idle_timeout", self.fin_idle_timeout),
            ("fin_hard_timeout", self.fin_hard_timeout),
        ];
        for (name, value) in optional {
            if value != 0 {
                let _ = write!(out, ",{name}={value}");
            }
        }
        if self.priority != DEFAULT_PRIORITY {
            let _ = write!(out, ",priority={}", self.priority);
        }
        if self.flags & flags::SEND_FLOW_REM != 0 {
            out.push_str(",send_flow_rem");
        }
        if self.flags & flags::DELETE_LEARNED != 0 {
            out.push_str(",delete_learned");
        }
        if self.cookie != 0 {
            let _ = write!(out, ",cookie={:#x}", self.cookie);
        }
        if self.limit != 0 {
            let _ = write!(out, ",limit={}", self.limit);
        }
        if let Some(sf) = &self.result_dst {
            let _ = write!(out, ",result_dst={sf}");
        }
        for spec in &self.specs {
            out.push(',');
            format_spec(spec, out);
        }
        out.push(')');
    }

    fn ofpact_name(&self) -> &'static str {
        "learn"
    }

    /// OVS's `learn_check()`: sources against the flow's match; match
    /// destinations against the learned flow's match as the immediate specs
    /// before them build it (so `eth_type=0x800` must precede an IP field);
    /// load destinations must also be writable.
    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        let mut learned = Match::catch_all();
        for spec in &self.specs {
            if let LearnSrc::Field(src) = &spec.src {
                cx.check_subfield_prereqs(src.def())?;
            }
            match &spec.dst {
                LearnDst::Match(dst) => {
                    if !learned.prereqs_ok(dst.def()) {
                        return Err(match_inconsistent());
                    }
                    if let LearnSrc::Immediate(value) = spec.src {
                        let mask = low_bits(dst.n_bits) << dst.ofs;
                        learned.set_field(dst.def(), value << dst.ofs, mask);
                    }
                }
                LearnDst::Load(dst) => {
                    if !learned.prereqs_ok(dst.def()) {
                        return Err(match_inconsistent());
                    }
                    if !dst.def().writable {
                        return Err(ParseError::Inconsistent(wf::BAD_SET_ARGUMENT));
                    }
                }
                LearnDst::Output => {}
            }
        }
        Ok(())
    }
}

/// `ds_put_hex()`: `0x` and the value without leading zeros, or `0`.
fn format_imm(value: Value, out: &mut String) {
    if value == 0 {
        out.push('0');
    } else {
        let _ = write!(out, "{value:#x}");
    }
}

fn format_spec(spec: &LearnSpec, out: &mut String) {
    match (spec.src, spec.dst) {
        (LearnSrc::Immediate(value), LearnDst::Match(dst)) if dst.is_whole() => {
            let def = dst.def();
            let _ = write!(out, "{}={}", def.name, def.format_value(value, None));
        }
        (LearnSrc::Immediate(value), LearnDst::Match(dst)) => {
            let _ = write!(out, "{dst}=");
            format_imm(value, out);
        }
        (LearnSrc::Field(src), LearnDst::Match(dst)) => {
            let _ = write!(out, "{dst}");
            if src.field != dst.field || src.ofs != dst.ofs {
                let _ = write!(out, "={src}");
            }
        }
        (LearnSrc::Immediate(value), LearnDst::Load(dst)) => {
            out.push_str("load:");
            format_imm(value, out);
            let _ = write!(out, "->{dst}");
        }
        (LearnSrc::Field(src), LearnDst::Load(dst)) => {
            let _ = write!(out, "load:{src}->{dst}");
        }
        (LearnSrc::Field(src), LearnDst::Output) => {
            let _ = write!(out, "output:{src}");
        }
        // Never decoded or parsed.
        (LearnSrc::Immediate(_), LearnDst::Output) => {}
    }
}

fn field_error(e: nxm_fields::FieldError) -> ParseError {
    ParseError::msg(e.to_string())
}

/// A destination subfield must have a 32-bit NXM header word.
fn nxm_dst(orig: &str, name: &str, sf: &Subfield) -> ParseResult<()> {
    if wf::word_of(sf.def()).is_some() {
        Ok(())
    } else {
        Err(ParseError::msg(format!(
            "{orig}: experimenter OXM field '{name}' not supported"
        )))
    }
}

/// The immediate a match spec gives for `dst` (OVS tries this when the
/// value is not a subfield): the field's own syntax for a whole field, an
/// integer for part of one.
fn parse_match_immediate(orig: &str, dst: &Subfield, text: &str) -> Result<Value, String> {
    let def: &FieldDef = dst.def();
    if dst.is_whole() {
        let (value, mask) = def.parse_value(text).map_err(|e| e.to_string())?;
        if mask != def.exact_mask() {
            return Err(format!("{text}: wildcards not allowed here"));
        }
        return Ok(value);
    }
    let value = nxm_fields::format::parse_uint(text)
        .map_err(|_| format!("{orig}: cannot parse integer value"))?;
    if value & !low_bits(dst.n_bits) != 0 {
        return Err(format!(
            "{orig}: value {} does not fit into {} bits",
            def.format_value(value, None),
            dst.n_bits
        ));
    }
    Ok(value)
}

/// OVS's `learn_parse_spec()`.
fn parse_spec(orig: &str, name: &str, value: &str) -> ParseResult<LearnSpec> {
    if let Ok(dst) = Subfield::parse(name) {
        nxm_dst(orig, name, &dst)?;
        let src = if value.is_empty() {
            LearnSrc::Field(dst)
        } else {
            match Subfield::parse(value) {
                Ok(src) if src.n_bits != dst.n_bits => {
                    return Err(ParseError::msg(format!(
                        "{orig}: bit widths of {name} ({}) and {value} ({}) differ",
                        src.n_bits, dst.n_bits
                    )))
                }
                Ok(src) => LearnSrc::Field(src),
                Err(sf_error) => LearnSrc::Immediate(
                    parse_match_immediate(orig, &dst, value).map_err(|imm_error| {
                        ParseError::msg(format!(
                            "{orig}: {name} value {value} cannot be parsed as a subfield ({sf_error}) or an immediate value ({imm_error})"
                        ))
                    })?,
                ),
            }
        };
        return Ok(LearnSpec {
            n_bits: dst.n_bits,
            src,
            dst: LearnDst::Match(dst),
        });
    }
    match name {
        "load" => parse_load_spec(value),
        "output" => {
            let src = Subfield::parse(value).map_err(field_error)?;
            Ok(LearnSpec {
                n_bits: src.n_bits,
                src: LearnSrc::Field(src),
                dst: LearnDst::Output,
            })
        }
        _ => Err(ParseError::msg(format!("{orig}: unknown keyword {name}"))),
    }
}

/// `load:VALUE->DST` or `load:SRC->DST`.
fn parse_load_spec(value: &str) -> ParseResult<LearnSpec> {
    let arrow = value
        .find("->")
        .ok_or_else(|| ParseError::msg(format!("load: missing `->' in `{value}'")))?;
    if arrow == 0 {
        return Err(ParseError::msg(format!(
            "load: missing source before `->' in `{value}'"
        )));
    }
    let (src_s, dst_s) = (&value[..arrow], &value[arrow + 2..]);
    // A source that starts like a number is an immediate (OVS's
    // parse_int_string() must then stop right at the arrow).
    if !src_s.starts_with(|c: char| c.is_ascii_digit()) {
        let (src, dst) = reg_move::parse_src_dst(value)?;
        return Ok(LearnSpec {
            n_bits: src.n_bits,
            src: LearnSrc::Field(src),
            dst: LearnDst::Load(dst),
        });
    }
    let imm = nxm_fields::format::parse_uint(src_s)
        .map_err(|_| ParseError::msg(format!("load: garbage before `->' in `{value}'")))?;
    let dst = Subfield::parse(dst_s).map_err(field_error)?;
    nxm_dst(value, dst_s, &dst)?;
    if imm & !low_bits(dst.n_bits) != 0 {
        return Err(ParseError::msg(format!(
            "{value}: value does not fit into {} bits",
            dst.n_bits
        )));
    }
    Ok(LearnSpec {
        n_bits: dst.n_bits,
        src: LearnSrc::Immediate(imm),
        dst: LearnDst::Load(dst),
    })
}

/// `learn(KEY=VALUE,...,SPEC,...)`, as OVS's `learn_parse()`: numbers are
/// read with `atoi()` and `strtoull()`, so bad ones are not errors.
pub(crate) fn parse_learn(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut a = Learn::default();
    for (name, value) in KeyValues::new(arg) {
        let atoi16 = || text::c_atoi(value) as u16;
        match name {
            "table" => {
                a.table_id = text::parse_table(value)
                    .ok_or_else(|| ParseError::msg(format!("unknown table \"{value}\"")))?;
                if a.table_id == 0xff {
                    return Err(ParseError::msg(format!(
                        "{arg}: table id 255 not valid for `learn' action"
                    )));
                }
            }
            "priority" => a.priority = atoi16(),
            "idle_timeout" => a.idle_timeout = atoi16(),
            "hard_timeout" => a.hard_timeout = atoi16(),
            "fin_idle_timeout" => a.fin_idle_timeout = atoi16(),
            "fin_hard_timeout" => a.fin_hard_timeout = atoi16(),
            "cookie" => a.cookie = text::c_strtoull_prefix(value),
            "send_flow_rem" => a.flags |= flags::SEND_FLOW_REM,
            "delete_learned" => a.flags |= flags::DELETE_LEARNED,
            "limit" => a.limit = text::c_atoi(value) as u32,
            "result_dst" => {
                let sf = Subfield::parse(value).map_err(field_error)?;
                if !sf.def().writable {
                    return Err(ParseError::msg(format!("{value} is read-only")));
                }
                if sf.n_bits != 1 {
                    return Err(ParseError::msg(
                        "result_dst in 'learn' action must be a single bit",
                    ));
                }
                a.result_dst = Some(sf);
            }
            _ => a.specs.push(parse_spec(arg, name, value)?),
        }
    }
    cx.push(a);
    Ok(())
}
