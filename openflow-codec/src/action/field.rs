//! How actions name fields on the wire: a 4-byte NXM/OXM header word (or an
//! 8-byte experimenter one) optionally followed by a value and mask, read
//! and written through the nxm-fields registry; plus OVS's `ofs_nbits`
//! packing of a subfield's bit range.
//!
//! Two header choices exist. OFPAT_SET_FIELD is an OpenFlow 1.3 action and
//! names its field by OXM ([`Naming::Oxm`]); every Nicira action names
//! fields the way OVS encodes them for "version 0", i.e. by the field's NXM
//! header when it has one, else its OXM one ([`Naming::Nx`]). Decoding
//! accepts either form.

use bytes::{BufMut, BytesMut};
use nxm_fields::{field_by_header, oxm, FieldDef, OxmHeader, RawHeader, Subfield, Value};

use crate::error::{BadActionCode, OfpError};

pub(crate) const BAD_SET_TYPE: OfpError = OfpError::BadAction(BadActionCode::BadSetType);
pub(crate) const BAD_SET_LEN: OfpError = OfpError::BadAction(BadActionCode::BadSetLen);
pub(crate) const BAD_SET_ARGUMENT: OfpError = OfpError::BadAction(BadActionCode::BadSetArgument);

/// The field named by a 32-bit NXM header word inside an action.
pub(crate) fn field_from_word(word: u32) -> Result<&'static FieldDef, OfpError> {
    let (raw, _) = RawHeader::parse(&word.to_be_bytes()).map_err(|_| BAD_SET_TYPE)?;
    field_by_header(raw.header).ok_or(BAD_SET_TYPE)
}

/// Which header an action names a field by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// OpenFlow 1.3's own actions: the OXM header if there is one.
    Oxm,
    /// Nicira actions: the NXM header if there is one (OVS's version 0).
    Nx,
}

impl Naming {
    fn header(self, def: &FieldDef) -> Option<OxmHeader> {
        match self {
            Naming::Oxm => def.header_of13(),
            Naming::Nx => def.nxm.or(def.oxm).map(|(_, h)| h),
        }
    }
}

/// The 32-bit NXM header word for a field, as NXAST_REG_LOAD and friends
/// carry it. `None` for fields that only have an experimenter header.
pub(crate) fn word_of(def: &FieldDef) -> Option<u32> {
    let header = Naming::Nx.header(def)?;
    header
        .experimenter
        .is_none()
        .then(|| header.nxm_word(def.n_bytes))
}

/// Reads a header (4 or 8 bytes) from the front of `buf`: the field, whether
/// a mask follows, and the header's size.
pub(crate) fn pull_header(buf: &[u8]) -> Result<(&'static FieldDef, RawHeader, usize), OfpError> {
    let (raw, n) = RawHeader::parse(buf).map_err(|_| BAD_SET_LEN)?;
    let def = field_by_header(raw.header).ok_or(BAD_SET_TYPE)?;
    Ok((def, raw, n))
}

/// Writes a field's header for a value of its own width.
pub(crate) fn put_header(out: &mut BytesMut, def: &FieldDef, masked: bool, naming: Naming) {
    if let Some(h) = naming.header(def) {
        h.put(out, masked, def.n_bytes);
    }
}

/// A TLV entry (header, value, optional mask) as set-field actions carry it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub def: &'static FieldDef,
    pub value: Value,
    pub mask: Option<Value>,
    /// Bytes consumed.
    pub len: usize,
}

/// Reads one entry from the front of `buf`.
pub(crate) fn pull_entry(buf: &[u8]) -> Result<Entry, OfpError> {
    let (def, raw, n) = pull_header(buf)?;
    let width = def.n_bytes;
    let expect = if raw.has_mask { 2 * width } else { width };
    if raw.payload_len() != expect {
        return Err(BAD_SET_LEN);
    }
    let value = be_value(buf.get(n..n + width).ok_or(BAD_SET_LEN)?);
    let mask = if raw.has_mask {
        Some(be_value(
            buf.get(n + width..n + 2 * width).ok_or(BAD_SET_LEN)?,
        ))
    } else {
        None
    };
    Ok(Entry {
        def,
        value,
        mask,
        len: n + expect,
    })
}

/// Writes an entry.
pub(crate) fn put_entry(
    out: &mut BytesMut,
    def: &FieldDef,
    value: Value,
    mask: Option<Value>,
    naming: Naming,
) {
    put_header(out, def, mask.is_some(), naming);
    oxm::put_be(out, value, def.n_bytes);
    if let Some(m) = mask {
        oxm::put_be(out, m, def.n_bytes);
    }
}

fn be_value(bytes: &[u8]) -> Value {
    bytes
        .iter()
        .fold(0, |acc: Value, &b| (acc << 8) | Value::from(b))
}

/// OVS's `ofs_nbits` packing: offset in the top 10 bits, `n_bits - 1` in
/// the low 6. Like OVS, a wider `n_bits - 1` (a whole 128-bit field) is
/// not masked and spills into the offset.
pub(crate) fn ofs_nbits(sf: &Subfield) -> u16 {
    ((sf.ofs << 6) | sf.n_bits.saturating_sub(1)) as u16
}

pub(crate) fn unpack_ofs_nbits(v: u16) -> (u32, u32) {
    (u32::from(v >> 6), u32::from(v & 0x3f) + 1)
}

/// OVS's `mf_check_src()` bounds part: the bits must lie inside the field.
pub(crate) fn check_bounds(def: &FieldDef, ofs: u32, n_bits: u32) -> Result<(), OfpError> {
    let width = def.subfield_width();
    if n_bits == 0 || ofs >= width || ofs + n_bits > width {
        Err(BAD_SET_LEN)
    } else {
        Ok(())
    }
}

/// Puts a 32-bit NXM header word.
pub(crate) fn put_word(out: &mut BytesMut, def: &FieldDef) {
    out.put_u32(word_of(def).unwrap_or(0));
}

/// Whether the field is one only `ct` may write.
pub(crate) fn is_ct_field(def: &FieldDef) -> bool {
    matches!(
        def.id,
        nxm_fields::FieldId::CtMark | nxm_fields::FieldId::CtLabel
    )
}
