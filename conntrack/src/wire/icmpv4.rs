//! ICMPv4 header (RFC 792): the echo-style messages keyed by identifier
//! and the error messages that quote an offending datagram.

use core::fmt;

use super::{be16, byte, checksum, put16, Error, Result};

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
    pub const ECHO_REPLY: u8 = 0;
    pub const DST_UNREACHABLE: u8 = 3;
    pub const SOURCE_QUENCH: u8 = 4;
    pub const REDIRECT: u8 = 5;
    pub const ECHO_REQUEST: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAM_PROBLEM: u8 = 12;
    pub const TIMESTAMP: u8 = 13;
    pub const TIMESTAMP_REPLY: u8 = 14;
    pub const INFO_REQUEST: u8 = 15;
    pub const INFO_REPLY: u8 = 16;
}

/// The reply type of a query type and back (echo 8 <-> 0, timestamp
/// 13 <-> 14, information 15 <-> 16); `None` for other types.
pub fn reverse_type(msg_type: u8) -> Option<u8> {
    use types::*;
    match msg_type {
        ECHO_REQUEST => Some(ECHO_REPLY),
        ECHO_REPLY => Some(ECHO_REQUEST),
        TIMESTAMP => Some(TIMESTAMP_REPLY),
        TIMESTAMP_REPLY => Some(TIMESTAMP),
        INFO_REQUEST => Some(INFO_REPLY),
        INFO_REPLY => Some(INFO_REQUEST),
        _ => None,
    }
}

/// Whether a type is an error that quotes the datagram that caused it.
pub fn is_error(msg_type: u8) -> bool {
    use types::*;
    matches!(
        msg_type,
        DST_UNREACHABLE | SOURCE_QUENCH | REDIRECT | TIME_EXCEEDED | PARAM_PROBLEM
    )
}

/// A view of an ICMPv4 message.
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

    /// The identifier of an echo-style message.
    pub fn echo_ident(&self) -> u16 {
        be16(self.data(), field::IDENT)
    }

    pub fn echo_seq_no(&self) -> u16 {
        be16(self.data(), field::SEQ_NO)
    }

    /// What follows the header: an echo's data, an error's quoted datagram.
    pub fn data_part(&self) -> &[u8] {
        self.data().get(field::DATA..).unwrap_or(&[])
    }

    /// Whether the checksum over the whole message is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(0, self.data())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    pub fn set_echo_ident(&mut self, ident: u16) {
        put16(self.buffer.as_mut(), field::IDENT, ident);
    }

    pub fn set_checksum(&mut self, value: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM, value);
    }

    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::checksum(self.data());
        self.set_checksum(sum);
    }
}

/// The fields of an ICMPv4 header; `ident`/`seq_no` are the second word,
/// which only echo-style messages use as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub msg_type: u8,
    pub code: u8,
    pub ident: u16,
    pub seq_no: u16,
    pub data_len: usize,
}

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, verify: bool) -> Result<Self> {
        if verify && !packet.verify_checksum() {
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
    /// data already in place) and fills the checksum.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        if buffer.len() != self.buffer_len() {
            return Err(Error::Truncated);
        }
        buffer[field::TYPE] = self.msg_type;
        buffer[field::CODE] = self.code;
        put16(buffer, field::IDENT, self.ident);
        put16(buffer, field::SEQ_NO, self.seq_no);
        Packet::new_unchecked(buffer).fill_checksum();
        Ok(())
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ICMPv4 type={} code={} id={} seq={}",
            self.msg_type, self.code, self.ident, self.seq_no
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Echo request of OVS 3.1's firewall scenario (64-byte 00..3f data).
    fn echo() -> Vec<u8> {
        let repr = Repr {
            msg_type: types::ECHO_REQUEST,
            code: 0,
            ident: 0,
            seq_no: 0,
            data_len: 64,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        for (i, b) in buf[HEADER_LEN..].iter_mut().enumerate() {
            *b = i as u8;
        }
        repr.emit(&mut buf).unwrap();
        buf
    }

    #[test]
    fn emit_reproduces_ovs_checksum() {
        let buf = echo();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.checksum(), 0x13fc);
        assert_eq!(Repr::parse(&p, true).unwrap().msg_type, types::ECHO_REQUEST);
    }

    #[test]
    fn query_types_reverse_and_errors_are_known() {
        assert_eq!(reverse_type(types::ECHO_REQUEST), Some(types::ECHO_REPLY));
        assert_eq!(reverse_type(types::INFO_REPLY), Some(types::INFO_REQUEST));
        assert_eq!(reverse_type(types::DST_UNREACHABLE), None);
        assert!(is_error(types::TIME_EXCEEDED));
        assert!(!is_error(types::ECHO_REQUEST));
    }

    #[test]
    fn short_message_and_bad_checksum_are_rejected() {
        assert_eq!(
            Packet::new_checked(&[8u8, 0, 0][..]).unwrap_err(),
            Error::Truncated
        );
        let mut buf = echo();
        buf[9] ^= 0xff;
        assert_eq!(
            Repr::parse(&Packet::new_checked(&buf[..]).unwrap(), true).unwrap_err(),
            Error::Checksum
        );
    }
}
