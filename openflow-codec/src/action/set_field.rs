//! Writing fields: `set_field:V->F` (OFPAT_SET_FIELD), `load:V->SUBFIELD`
//! (NXAST_REG_LOAD, one per run of at most 64 bits), and NXAST_REG_LOAD2
//! (a masked set-field for fields NXAST_REG_LOAD cannot name). Also the
//! keywords that OpenFlow 1.3 turns into set-fields (`set_tunnel:`).
//!
//! ovs-ofctl prints a REG_LOAD as `load:` and everything else as
//! `set_field:`; a `set_field` with a partial mask is sent as `load:`s.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::{field, field_by_name, FieldDef, FieldId, Format, Subfield, Value};

use crate::error::{BadActionCode, BadMatchCode, OfpError};

use super::check::CheckCx;
use super::field::{self as wf, Naming, BAD_SET_ARGUMENT};
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, ParseError, ParseResult};
use super::verify::WrittenField;
use super::wire::{self, View, EXT_HEADER_LEN};

/// OFPAT_SET_FIELD: the whole of `field` gets `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetField {
    pub field: FieldId,
    pub value: Value,
}

impl ActionType for SetField {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let body = v.rest(4)?;
        let entry = wf::pull_entry(body)?;
        if entry.mask.is_some() {
            return Err(OfpError::BadAction(BadActionCode::BadSetMask));
        }
        if body
            .get(entry.len..)
            .is_some_and(|pad| pad.iter().any(|&b| b != 0))
        {
            return Err(BAD_SET_ARGUMENT);
        }
        let def = entry.def;
        if def.id == FieldId::InPortOxm || !def.writable || !value_fits(def, entry.value) {
            return Err(BAD_SET_ARGUMENT);
        }
        if def.id == FieldId::VlanVid && entry.value & 0x1000 == 0 {
            return Err(BAD_SET_ARGUMENT);
        }
        Ok(SetField {
            field: def.id,
            value: entry.value,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::OfSetField);
        wf::put_entry(out, field(self.field), self.value, None, Naming::Oxm);
        wire::finish(out, start, Raw::OfSetField);
    }

    fn format(&self, out: &mut String) {
        format_set_field(field(self.field), self.value, None, out);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_field"
    }

    fn written_field(&self) -> Option<WrittenField> {
        Some(written(field(self.field)))
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.check_set_field(field(self.field), Some(self.value))
    }
}

fn value_fits(def: &FieldDef, value: Value) -> bool {
    def.n_bits >= 128 || value >> def.n_bits == 0 || !def.width_is_checked()
}

pub(crate) fn written(def: &'static FieldDef) -> WrittenField {
    WrittenField {
        name: def.name,
        is_ct: wf::is_ct_field(def),
    }
}

fn format_set_field(def: &FieldDef, value: Value, mask: Option<Value>, out: &mut String) {
    let _ = write!(
        out,
        "set_field:{}->{}",
        def.format_value(value, mask),
        def.name
    );
}

/// NXAST_REG_LOAD: `value` into the bits of `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegLoad {
    pub dst: Subfield,
    pub value: u64,
}

impl ActionType for RegLoad {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let (ofs, n_bits) = wf::unpack_ofs_nbits(v.u16(10)?);
        let def = wf::field_from_word(v.u32(12)?)?;
        wf::check_bounds(def, ofs, n_bits)?;
        if !def.writable {
            return Err(BAD_SET_ARGUMENT);
        }
        let value = v.u64(16)?;
        if n_bits < 64 && value >> n_bits != 0 {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(RegLoad {
            dst: Subfield {
                field: def.id,
                ofs,
                n_bits,
            },
            value,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxRegLoad);
        out.put_u16(wf::ofs_nbits(&self.dst));
        wf::put_word(out, self.dst.def());
        out.put_u64(self.value);
        wire::finish(out, start, Raw::NxRegLoad);
    }

    fn format(&self, out: &mut String) {
        // OVS prints the value with "%#"PRIx64, so zero is plain "0".
        if self.value == 0 {
            let _ = write!(out, "load:0->{}", self.dst);
        } else {
            let _ = write!(out, "load:{:#x}->{}", self.value, self.dst);
        }
    }

    fn ofpact_name(&self) -> &'static str {
        "set_field"
    }

    fn written_field(&self) -> Option<WrittenField> {
        Some(written(self.dst.def()))
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.check_set_field(self.dst.def(), None)
    }
}

/// NXAST_REG_LOAD2: `value` under `mask` into `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegLoad2 {
    pub field: FieldId,
    pub value: Value,
    pub mask: Option<Value>,
}

impl ActionType for RegLoad2 {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let body = v.rest(EXT_HEADER_LEN)?;
        let entry = wf::pull_entry(body)?;
        if body
            .get(entry.len..)
            .is_some_and(|pad| pad.iter().any(|&b| b != 0))
        {
            return Err(BAD_SET_ARGUMENT);
        }
        if !entry.def.writable {
            return Err(BAD_SET_ARGUMENT);
        }
        // As in a match, value bits outside the mask are refused.
        if entry.mask.is_some_and(|m| entry.value & !m != 0) {
            return Err(OfpError::BadMatch(BadMatchCode::BadWildcards));
        }
        Ok(RegLoad2 {
            field: entry.def.id,
            value: entry.value,
            mask: entry.mask,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxRegLoad2);
        wf::put_entry(out, field(self.field), self.value, self.mask, Naming::Nx);
        wire::finish(out, start, Raw::NxRegLoad2);
    }

    fn format(&self, out: &mut String) {
        format_set_field(field(self.field), self.value, self.mask, out);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_field"
    }

    fn written_field(&self) -> Option<WrittenField> {
        Some(written(field(self.field)))
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.check_set_field(field(self.field), None)
    }
}

/// Appends what OVS sends for "set `value` under `mask` in `def`" when it
/// cannot use OFPAT_SET_FIELD: a REG_LOAD2 for fields without a 4-byte
/// header, else one REG_LOAD per run of mask bits (at most 64 each).
fn push_loads(cx: &mut ParseCx<'_>, def: &'static FieldDef, value: Value, mask: Value) {
    if wf::word_of(def).is_none() {
        cx.push(RegLoad2 {
            field: def.id,
            value,
            mask: Some(mask),
        });
        return;
    }
    // Loads only reach the bits subfields can name (not vlan_vid's
    // VLAN-present bit, as in OVS).
    let width = def.subfield_width();
    let mut ofs = 0;
    while ofs < width {
        if mask >> ofs & 1 == 0 {
            ofs += 1;
            continue;
        }
        let mut end = ofs;
        while end < width && end - ofs < 64 && mask >> end & 1 == 1 {
            end += 1;
        }
        let n_bits = end - ofs;
        let bits = (value >> ofs) & ((1u128 << n_bits) - 1);
        cx.push(RegLoad {
            dst: Subfield {
                field: def.id,
                ofs,
                n_bits,
            },
            value: bits as u64,
        });
        ofs = end;
    }
}

/// Splits `V->F` as OVS's `set_field_split_str()`.
pub(crate) fn split_arrow(arg: &str) -> ParseResult<(&str, &str)> {
    let (value, key) = arg
        .split_once("->")
        .ok_or_else(|| ParseError::msg(format!("{arg}: missing `->'")))?;
    if key.is_empty() {
        return Err(ParseError::msg(format!(
            "{arg}: missing field name following `->'"
        )));
    }
    Ok((value, key))
}

fn field_error(e: nxm_fields::FieldError) -> ParseError {
    ParseError::msg(e.to_string())
}

/// `set_field:VALUE[/MASK]->FIELD`.
pub(crate) fn parse_set_field(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let (value_s, key) = split_arrow(arg)?;
    let def = field_by_name(key)
        .ok_or_else(|| ParseError::msg(format!("{key} is not a valid OXM field name")))?;
    if !def.writable {
        return Err(ParseError::msg(format!("{key} is read-only")));
    }
    let (value, mask) = def.parse_value(value_s).map_err(field_error)?;
    // A flag field given a plain value is set whole, as ovs-ofctl sets it.
    let mask = if def.format == Format::TunFlags
        && !value_s.contains('/')
        && !value_s.starts_with(['+', '-'])
    {
        def.exact_mask()
    } else {
        mask
    };
    if !is_valid_value(def, value) {
        return Err(ParseError::msg(format!(
            "{value_s} is not a valid value for field {key}"
        )));
    }
    set_value(cx, def, value, mask);
    Ok(())
}

/// OVS's `mf_is_value_valid()` for a set-field value: it fits the field's
/// significant bits, an ARP opcode fits a byte and `nw_tos` leaves the ECN
/// bits alone.
fn is_valid_value(def: &FieldDef, value: Value) -> bool {
    value_fits(def, value)
        && match def.id {
            FieldId::ArpOp => value <= 0xff,
            FieldId::IpTos => value & 0x3 == 0,
            _ => true,
        }
}

/// Appends the action(s) OVS sends for a parsed set_field.
pub(crate) fn set_value(cx: &mut ParseCx<'_>, def: &'static FieldDef, value: Value, mask: Value) {
    if mask == def.exact_mask() {
        cx.push(SetField {
            field: def.id,
            value,
        });
    } else {
        push_loads(cx, def, value, mask);
    }
}

/// `load:VALUE->SUBFIELD`.
pub(crate) fn parse_load(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let (value_s, key) = split_arrow(arg)?;
    let dst = Subfield::parse(key).map_err(field_error)?;
    // The number (whatever follows it is ignored, as strtoull leaves it)
    // must fit the whole field's bytes to parse at all.
    let value = nxm_fields::format::parse_uint_prefix(value_s)
        .ok()
        .map(|(v, _)| v)
        .filter(|v| *v <= dst.def().exact_mask())
        .ok_or_else(|| ParseError::msg(format!("{arg}: cannot parse integer value")))?;
    if dst.n_bits < 128 && value >> dst.n_bits != 0 {
        let def = dst.def();
        return Err(ParseError::msg(format!(
            "{arg}: value {} does not fit into {} bits",
            def.format_value(value, None),
            dst.n_bits
        )));
    }
    let def = dst.def();
    let mask = if dst.n_bits >= 128 {
        Value::MAX
    } else {
        ((1u128 << dst.n_bits) - 1) << dst.ofs
    };
    push_loads(cx, def, value << dst.ofs, mask);
    Ok(())
}

/// `set_tunnel:ID` and `set_tunnel64:ID`: OpenFlow 1.3 sends a set-field of
/// `tun_id`.
pub(crate) fn parse_set_tunnel(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let id = text::str_to_u64(arg)?;
    cx.push(SetField {
        field: FieldId::TunId,
        value: Value::from(id),
    });
    Ok(())
}
