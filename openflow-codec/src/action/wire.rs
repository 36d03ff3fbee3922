//! Byte-level helpers shared by every action: the action header, checked
//! reads from an action's bytes, and padding to OpenFlow's 8-byte alignment.
//!
//! An action's bytes always start with `type` (u16) and `len` (u16); a Nicira
//! or ONF extension action continues with the experimenter ID (u32) and a
//! subtype (u16). Which header an action has is decided by its [`Raw`] row.

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, BadRequestCode, OfpError};

use super::registry::Raw;

/// `type` of every experimenter (vendor) action.
pub const OFPAT_EXPERIMENTER: u16 = 0xffff;
/// Nicira's experimenter ID: OVS's own extension actions.
pub const NX_VENDOR_ID: u32 = 0x0000_2320;
/// The ONF's experimenter ID (OF1.3 extensions back-ported from OF1.4+).
pub const ONF_VENDOR_ID: u32 = 0x4f4e_4600;
/// Length of the header of a Nicira/ONF action (type, len, vendor, subtype).
pub const EXT_HEADER_LEN: usize = 10;
/// Every action's length is a multiple of this.
pub const ACTION_ALIGN: usize = 8;
/// The largest action length that is a multiple of 8 and fits in `len`.
pub const MAX_ACTION_LEN: u16 = 65528;

/// Who defines an action type: OpenFlow itself, Nicira, or the ONF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// A standard OpenFlow 1.3 action; the code is its `type`.
    Of,
    /// A Nicira extension action; the code is its subtype.
    Nx,
    /// An ONF extension action; the code is its subtype.
    Onf,
}

/// Read-only view of one action's bytes (header included), whose length the
/// caller has already checked against its [`Raw`] row. Reads past the end
/// return `OFPBAC_BAD_LEN` instead of panicking.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    bytes: &'a [u8],
}

impl<'a> View<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        View { bytes }
    }

    pub fn bytes(&self, ofs: usize, len: usize) -> Result<&'a [u8], OfpError> {
        ofs.checked_add(len)
            .and_then(|end| self.bytes.get(ofs..end))
            .ok_or(OfpError::BadAction(BadActionCode::BadLen))
    }

    /// Everything from `ofs` to the end of the action.
    pub fn rest(&self, ofs: usize) -> Result<&'a [u8], OfpError> {
        self.bytes
            .get(ofs..)
            .ok_or(OfpError::BadAction(BadActionCode::BadLen))
    }

    pub fn u8(&self, ofs: usize) -> Result<u8, OfpError> {
        Ok(self.array::<1>(ofs)?[0])
    }

    pub fn u16(&self, ofs: usize) -> Result<u16, OfpError> {
        Ok(u16::from_be_bytes(self.array(ofs)?))
    }

    pub fn u32(&self, ofs: usize) -> Result<u32, OfpError> {
        Ok(u32::from_be_bytes(self.array(ofs)?))
    }

    pub fn u64(&self, ofs: usize) -> Result<u64, OfpError> {
        Ok(u64::from_be_bytes(self.array(ofs)?))
    }

    pub fn array<const N: usize>(&self, ofs: usize) -> Result<[u8; N], OfpError> {
        let slice = self.bytes(ofs, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    /// Fails with `err` unless `bytes[ofs..ofs + len]` are all zero.
    pub fn expect_zero(&self, ofs: usize, len: usize, err: OfpError) -> Result<(), OfpError> {
        if self.bytes(ofs, len)?.iter().all(|&b| b == 0) {
            Ok(())
        } else {
            Err(err)
        }
    }
}

/// `NXBRC_MUST_BE_ZERO`: what OVS answers for nonzero reserved bytes in most
/// Nicira actions.
pub const MUST_BE_ZERO: OfpError = OfpError::BadRequest(BadRequestCode::NxMustBeZero);

/// Starts an action of type `raw` in `out`: writes its header with a
/// placeholder length and returns the offset to pass to [`finish`].
pub fn begin(out: &mut BytesMut, raw: Raw) -> usize {
    let start = out.len();
    let (vendor, code) = raw.wire();
    match vendor {
        Vendor::Of => {
            out.put_u16(code);
            out.put_u16(0);
        }
        Vendor::Nx | Vendor::Onf => {
            out.put_u16(OFPAT_EXPERIMENTER);
            out.put_u16(0);
            out.put_u32(if vendor == Vendor::Nx {
                NX_VENDOR_ID
            } else {
                ONF_VENDOR_ID
            });
            out.put_u16(code);
        }
    }
    start
}

/// Finishes the action begun at `start`: pads it with zeros to at least the
/// minimum length of `raw` and to a multiple of 8, then writes its length.
pub fn finish(out: &mut BytesMut, start: usize, raw: Raw) {
    let min_end = start + usize::from(raw.min_len());
    if out.len() < min_end {
        out.resize(min_end, 0);
    }
    pad_to_align(out, start);
    set_len(out, start);
}

/// Appends zeros until the bytes since `start` are a multiple of 8 long.
pub fn pad_to_align(out: &mut BytesMut, start: usize) {
    let len = out.len() - start;
    out.resize(start + len.next_multiple_of(ACTION_ALIGN), 0);
}

/// Writes the length of the structure begun at `start` into its `len` field
/// (bytes 2..4). Lengths beyond `u16` cannot be produced by our own values,
/// which are bounded by what the decoder or parser accepted; they saturate.
pub fn set_len(out: &mut BytesMut, start: usize) {
    let len = u16::try_from(out.len() - start).unwrap_or(u16::MAX);
    if let Some(field) = out.get_mut(start + 2..start + 4) {
        field.copy_from_slice(&len.to_be_bytes());
    }
}
