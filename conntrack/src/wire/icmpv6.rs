//! ICMPv6 header (RFC 4443): echo messages keyed by identifier and the
//! error messages that quote an offending packet. Unlike ICMPv4, the
//! checksum covers a pseudo-header.

use core::fmt;

use super::{be16, byte, checksum, ip_proto, put16, Error, Result};

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const IDENT: usize = 4;
    pub const SEQ_NO: usize = 6;
    pub const DATA: usize = 8;
}

pub const HEADER_LEN: usize = field::DATA;

/// Message types.
pub mod types {
    pub const DST_UNREACHABLE: u8 = 1;
    pub const PACKET_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const PARAM_PROBLEM: u8 = 4;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
}

/// Echo request <-> echo reply; `None` for other types.
pub fn reverse_type(msg_type: u8) -> Option<u8> {
    match msg_type {
        types::ECHO_REQUEST => Some(types::ECHO_REPLY),
        types::ECHO_REPLY => Some(types::ECHO_REQUEST),
        _ => None,
    }
}

/// Whether a type is an error that quotes the packet that caused it.
pub fn is_error(msg_type: u8) -> bool {
    use types::*;
    matches!(
        msg_type,
        DST_UNREACHABLE | PACKET_TOO_BIG | TIME_EXCEEDED | PARAM_PROBLEM
    )
}

/// A view of an ICMPv6 message.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking it holds the 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn msg_type(&self) -> u8 {
        byte(self.data(), field::TYPE)
    }

    pub fn msg_code(&self) -> u8 {
        byte(self.data(), field::CODE)
    }

    pub fn checksum(&self) -> u16 {
        be16(self.data(), field::CHECKSUM)
    }

    pub fn echo_ident(&self) -> u16 {
        be16(self.data(), field::IDENT)
    }

    pub fn echo_seq_no(&self) -> u16 {
        be16(self.data(), field::SEQ_NO)
    }

    pub fn data_part(&self) -> &[u8] {
        self.data().get(field::DATA..).unwrap_or(&[])
    }

    /// Whether the checksum is correct for a message between the 16-byte
    /// addresses `src` and `dst`.
    pub fn verify_checksum(&self, src: &[u8], dst: &[u8]) -> bool {
        let Ok(len) = u32::try_from(self.data().len()) else {
            return false;
        };
        checksum::verify(
            checksum::pseudo_header(src, dst, ip_proto::ICMPV6, len),
            self.data(),
        )
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    pub fn set_echo_ident(&mut self, ident: u16) {
        put16(self.buffer.as_mut(), field::IDENT, ident);
    }

    pub fn set_checksum(&mut self, value: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM, value);
    }

    pub fn fill_checksum(&mut self, src: &[u8], dst: &[u8]) {
        self.set_checksum(0);
        let len = u32::try_from(self.data().len()).unwrap_or(u32::MAX);
        let acc = checksum::pseudo_header(src, dst, ip_proto::ICMPV6, len);
        let sum = !checksum::fold(checksum::accumulate(acc, self.data()));
        self.set_checksum(sum);
    }
}

/// The fields of an ICMPv6 header; see [`super::icmpv4::Repr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub msg_type: u8,
    pub code: u8,
    pub ident: u16,
    pub seq_no: u16,
    pub data_len: usize,
}

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(
        packet: &Packet<T>,
        src: &[u8],
        dst: &[u8],
        verify: bool,
    ) -> Result<Self> {
        if verify && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            msg_type: packet.msg_type(),
            code: packet.msg_code(),
            ident: packet.echo_ident(),
            seq_no: packet.echo_seq_no(),
            data_len: packet.data_part().len(),
        })
    }

    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.data_len
    }

    /// Writes the header into `buffer` (exactly `buffer_len()` bytes, the
    /// data already in place) and fills the checksum for `src`/`dst`.
    pub fn emit(&self, buffer: &mut [u8], src: &[u8], dst: &[u8]) -> Result<()> {
        if buffer.len() != self.buffer_len() {
            return Err(Error::Truncated);
        }
        buffer[field::TYPE] = self.msg_type;
        buffer[field::CODE] = self.code;
        put16(buffer, field::IDENT, self.ident);
        put16(buffer, field::SEQ_NO, self.seq_no);
        Packet::new_unchecked(buffer).fill_checksum(src, dst);
        Ok(())
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ICMPv6 type={} code={} id={} seq={}",
            self.msg_type, self.code, self.ident, self.seq_no
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const DST: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    #[test]
    fn emit_then_parse_round_trips_with_pseudo_header() {
        let repr = Repr {
            msg_type: types::ECHO_REQUEST,
            code: 0,
            ident: 7,
            seq_no: 1,
            data_len: 4,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, &SRC, &DST).unwrap();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Repr::parse(&p, &SRC, &DST, true).unwrap(), repr);
        assert_eq!(
            Repr::parse(&p, &DST, &[0; 16], true).unwrap_err(),
            Error::Checksum
        );
    }

    #[test]
    fn echo_reverses_and_errors_are_known() {
        assert_eq!(reverse_type(types::ECHO_REQUEST), Some(types::ECHO_REPLY));
        assert_eq!(reverse_type(135), None);
        assert!(is_error(types::PACKET_TOO_BIG));
        assert!(!is_error(types::ECHO_REPLY));
    }
}
