//! Subfields: a bit range of a field, written `NXM_NX_REG0[0..15]`,
//! `reg0[5]`, `eth_src[]` or just `reg0`, as `load:`, `move:`, `output:`
//! and the `zone=` of `ct()` use them.

use std::fmt;

use crate::error::FieldError;
use crate::registry::{field, field_by_any_name, FieldDef, FieldId};

/// Bits `ofs .. ofs + n_bits` of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subfield {
    pub field: FieldId,
    pub ofs: u32,
    pub n_bits: u32,
}

impl Subfield {
    /// The whole of a field.
    pub fn whole(id: FieldId) -> Self {
        Subfield {
            field: id,
            ofs: 0,
            n_bits: field(id).subfield_width(),
        }
    }

    pub fn def(&self) -> &'static FieldDef {
        field(self.field)
    }

    /// Whether the subfield covers its whole field.
    pub fn is_whole(&self) -> bool {
        self.ofs == 0 && self.n_bits == self.def().subfield_width()
    }

    /// Parses the subfield at the start of `text`; returns it and the rest.
    pub fn parse_prefix(text: &str) -> Result<(Subfield, &str), FieldError> {
        // The name runs to the first `[` or `-` (as in `reg0->reg1`).
        let name_len = text.find(['[', '-']).unwrap_or(text.len());
        let (name, rest) = text.split_at(name_len);
        let def = field_by_any_name(name)
            .ok_or_else(|| FieldError::text(format!("{text}: unknown field `{name}'")))?;
        let width = def.subfield_width();
        let Some(inner) = rest.strip_prefix('[') else {
            return Ok((Subfield::whole(def.id), rest));
        };
        let syntax = || {
            FieldError::text(format!(
                "{text}: syntax error expecting [] or [<bit>] or [<start>..<end>]"
            ))
        };
        let close = inner.find(']').ok_or_else(syntax)?;
        let (range, after) = (&inner[..close], &inner[close + 1..]);
        let (start, end) = if range.is_empty() {
            (0, width.saturating_sub(1).cast_signed())
        } else if let Some((a, b)) = range.split_once("..") {
            (
                parse_bit(a).ok_or_else(syntax)?,
                parse_bit(b).ok_or_else(syntax)?,
            )
        } else {
            let bit = parse_bit(range).ok_or_else(syntax)?;
            (bit, bit)
        };
        // The checks in ovs-ofctl's order; bits are C ints, compared signed
        // with each other and unsigned with the width.
        if start > end {
            return Err(FieldError::text(format!(
                "{text}: starting bit {start} is after ending bit {end}"
            )));
        }
        if start.cast_unsigned() >= width {
            return Err(FieldError::text(format!(
                "{text}: starting bit {start} is not valid because field is only {width} bits wide"
            )));
        }
        if end.cast_unsigned() >= width {
            return Err(FieldError::text(format!(
                "{text}: ending bit {end} is not valid because field is only {width} bits wide"
            )));
        }
        Ok((
            Subfield {
                field: def.id,
                ofs: start.cast_unsigned(),
                n_bits: (end - start + 1).cast_unsigned(),
            },
            after,
        ))
    }

    /// Parses a string that is exactly one subfield.
    pub fn parse(text: &str) -> Result<Subfield, FieldError> {
        match Subfield::parse_prefix(text)? {
            (sf, "") => Ok(sf),
            // ovs-ofctl 3.1 says this without quoting the text.
            (_, _) => Err(FieldError::text("unexpected input following field syntax")),
        }
    }
}

/// A bit number as `sscanf("%d")` reads it: an optional sign and decimal
/// digits, wrapping (`4294967297` is bit 1).
fn parse_bit(text: &str) -> Option<i32> {
    // Truncation to a C int is the point.
    crate::format::scan_decimal_wrapping(text).map(|v| v as u32 as i32)
}

impl fmt::Display for Subfield {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.def().wire_name();
        if self.is_whole() {
            write!(f, "{name}[]")
        } else if self.n_bits == 1 {
            write!(f, "{name}[{}]", self.ofs)
        } else {
            write!(f, "{name}[{}..{}]", self.ofs, self.ofs + self.n_bits - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(text: &str) -> String {
        Subfield::parse(text).map_or_else(|e| e.to_string(), |s| s.to_string())
    }

    #[test]
    fn subfields_print_under_their_wire_names() {
        assert_eq!(round("reg0[0..15]"), "NXM_NX_REG0[0..15]");
        assert_eq!(round("reg0"), "NXM_NX_REG0[]");
        assert_eq!(round("xreg0[0..15]"), "OXM_OF_PKT_REG0[0..15]");
        assert_eq!(round("OXM_OF_IPV4_SRC[]"), "NXM_OF_IP_SRC[]");
        assert_eq!(round("metadata[]"), "OXM_OF_METADATA[]");
        assert_eq!(round("NXM_NX_REG0[3]"), "NXM_NX_REG0[3]");
        // vlan_vid is 12 bits wide as a subfield, without OFPVID_PRESENT.
        assert_eq!(round("OXM_OF_VLAN_VID[0..11]"), "OXM_OF_VLAN_VID[]");
        assert_eq!(
            round("OXM_OF_VLAN_VID[12]"),
            "OXM_OF_VLAN_VID[12]: starting bit 12 is not valid because field is only 12 bits wide"
        );
    }

    #[test]
    fn bad_subfields_read_as_ovs_ofctl() {
        assert_eq!(
            round("NXM_NX_REG0[33]"),
            "NXM_NX_REG0[33]: starting bit 33 is not valid because field is only 32 bits wide"
        );
        assert_eq!(
            round("NXM_NX_REG0[5..3]"),
            "NXM_NX_REG0[5..3]: starting bit 5 is after ending bit 3"
        );
        assert_eq!(round("foo[]"), "foo[]: unknown field `foo'");
        assert_eq!(round("reg0[4294967297]"), "NXM_NX_REG0[1]");
        assert_eq!(round("reg0[+1..03]"), "NXM_NX_REG0[1..3]");
        assert_eq!(
            round("reg0[-1..3]"),
            "reg0[-1..3]: starting bit -1 is not valid because field is only 32 bits wide"
        );
        assert_eq!(
            round("reg0[25..399999999999]"),
            "reg0[25..399999999999]: ending bit 568041471 is not valid because field is only 32 bits wide"
        );
        assert_eq!(
            round("reg0[99999999999..7]"),
            "reg0[99999999999..7]: starting bit 1215752191 is after ending bit 7"
        );
        assert_eq!(
            round("reg0[3..699999999999]"),
            "reg0[3..699999999999]: starting bit 3 is after ending bit -79669249"
        );
        assert_eq!(
            round("NXM_NX_REG0["),
            "NXM_NX_REG0[: syntax error expecting [] or [<bit>] or [<start>..<end>]"
        );
    }
}
