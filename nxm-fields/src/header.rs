//! OXM and NXM TLV headers: the 4-byte form (class, field, has-mask, length)
//! and the 8-byte experimenter form (class 0xffff plus a 32-bit
//! experimenter id).

use bytes::{BufMut, BytesMut};

use crate::error::FieldError;

/// `OFPXMC_NXM_0`: the original Nicira fields (`NXM_OF_*`).
pub const CLASS_NXM_0: u16 = 0x0000;
/// `OFPXMC_NXM_1`: Nicira's extension fields (`NXM_NX_*`).
pub const CLASS_NXM_1: u16 = 0x0001;
/// Ericsson's class (`ERICOXM_OF_*`).
pub const CLASS_ERICSSON: u16 = 0x1000;
/// `OFPXMC_OPENFLOW_BASIC` (`OXM_OF_*`).
pub const CLASS_OPENFLOW_BASIC: u16 = 0x8000;
/// `OFPXMC_PACKET_REGS` (`OXM_OF_PKT_REG*`).
pub const CLASS_PACKET_REGS: u16 = 0x8001;
/// `OFPXMC_EXPERIMENTER`: the header carries an experimenter id.
pub const CLASS_EXPERIMENTER: u16 = 0xffff;

/// Nicira's experimenter id (`NXOXM_*`).
pub const EXPERIMENTER_NICIRA: u32 = 0x0000_2320;
/// The Open Networking Foundation's experimenter id (`ONFOXM_*`).
pub const EXPERIMENTER_ONF: u32 = 0x4f4e_4600;
/// The experimenter id OVS gives its NSH fields (`NXOXM_NSH_*`), not
/// Nicira's.
pub const EXPERIMENTER_NSH: u32 = 0x005a_d650;

/// The identity of a TLV: which field it carries, without mask bit or length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OxmHeader {
    pub class: u16,
    pub field: u8,
    /// Present exactly when `class` is [`CLASS_EXPERIMENTER`].
    pub experimenter: Option<u32>,
}

/// A header as read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeader {
    pub header: OxmHeader,
    pub has_mask: bool,
    /// Length of the payload after the header, counting the experimenter id
    /// for 8-byte headers as OpenFlow does.
    pub length: u8,
}

impl OxmHeader {
    pub const fn basic(field: u8) -> Self {
        OxmHeader {
            class: CLASS_OPENFLOW_BASIC,
            field,
            experimenter: None,
        }
    }

    pub const fn nxm0(field: u8) -> Self {
        OxmHeader {
            class: CLASS_NXM_0,
            field,
            experimenter: None,
        }
    }

    pub const fn nxm1(field: u8) -> Self {
        OxmHeader {
            class: CLASS_NXM_1,
            field,
            experimenter: None,
        }
    }

    pub const fn class(class: u16, field: u8) -> Self {
        OxmHeader {
            class,
            field,
            experimenter: None,
        }
    }

    pub const fn experimenter(experimenter: u32, field: u8) -> Self {
        OxmHeader {
            class: CLASS_EXPERIMENTER,
            field,
            experimenter: Some(experimenter),
        }
    }

    /// Size of the header on the wire: 4, or 8 with an experimenter id.
    pub const fn header_len(&self) -> usize {
        if self.experimenter.is_some() {
            8
        } else {
            4
        }
    }

    /// Writes the header for a value of `value_len` bytes, with or without a
    /// mask of the same length following it.
    pub fn put(&self, out: &mut BytesMut, masked: bool, value_len: usize) {
        let payload = value_len * if masked { 2 } else { 1 };
        let exp_len = if self.experimenter.is_some() { 4 } else { 0 };
        let length = (payload + exp_len) as u32 & 0xff;
        let word = (u32::from(self.class) << 16)
            | (u32::from(self.field & 0x7f) << 9)
            | (u32::from(masked) << 8)
            | length;
        out.put_u32(word);
        if let Some(exp) = self.experimenter {
            out.put_u32(exp);
        }
    }

    /// The 32-bit NXM header word (`NXM_HEADER`), as used inside
    /// `NXAST_REG_LOAD` and other actions, for a value of `value_len` bytes.
    pub fn nxm_word(&self, value_len: usize) -> u32 {
        (u32::from(self.class) << 16) | (u32::from(self.field & 0x7f) << 9) | value_len as u32
    }
}

impl RawHeader {
    /// Reads one header from the front of `buf`; returns it and its size.
    pub fn parse(buf: &[u8]) -> Result<(RawHeader, usize), FieldError> {
        let word = read_u32(buf, 0).ok_or(FieldError::BadLen)?;
        let class = (word >> 16) as u16;
        let field = ((word >> 9) & 0x7f) as u8;
        let has_mask = word & 0x100 != 0;
        let length = (word & 0xff) as u8;
        if class == CLASS_EXPERIMENTER {
            let exp = read_u32(buf, 4).ok_or(FieldError::BadLen)?;
            if length < 4 {
                return Err(FieldError::BadLen);
            }
            Ok((
                RawHeader {
                    header: OxmHeader::experimenter(exp, field),
                    has_mask,
                    length,
                },
                8,
            ))
        } else {
            Ok((
                RawHeader {
                    header: OxmHeader::class(class, field),
                    has_mask,
                    length,
                },
                4,
            ))
        }
    }

    /// Length of value plus mask, without the experimenter id.
    pub fn payload_len(&self) -> usize {
        usize::from(self.length)
            - if self.header.experimenter.is_some() {
                4
            } else {
                0
            }
    }
}

fn read_u32(buf: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_round_trips() {
        let mut out = BytesMut::new();
        OxmHeader::basic(11).put(&mut out, true, 4);
        assert_eq!(&out[..], &[0x80, 0x00, 0x17, 0x08]);
        let (raw, n) = RawHeader::parse(&out).unwrap();
        assert_eq!(n, 4);
        assert_eq!(raw.header, OxmHeader::basic(11));
        assert!(raw.has_mask);
        assert_eq!(raw.payload_len(), 8);
    }

    #[test]
    fn experimenter_header_counts_its_id_in_length() {
        // ONFOXM_ET_TCP_FLAGS with mask, as ovs-ofctl 3.1 sends it.
        let mut out = BytesMut::new();
        OxmHeader::experimenter(EXPERIMENTER_ONF, 42).put(&mut out, true, 2);
        assert_eq!(&out[..], &[0xff, 0xff, 0x55, 0x08, 0x4f, 0x4e, 0x46, 0x00]);
        let (raw, n) = RawHeader::parse(&out).unwrap();
        assert_eq!(n, 8);
        assert_eq!(raw.payload_len(), 4);
    }

    #[test]
    fn truncated_header_is_bad_len() {
        assert_eq!(RawHeader::parse(&[0x80, 0]), Err(FieldError::BadLen));
        assert_eq!(
            RawHeader::parse(&[0xff, 0xff, 0x55, 0x08, 0x4f]),
            Err(FieldError::BadLen)
        );
    }
}
