//! UDP header (RFC 768).

use core::fmt;

use super::{be16, checksum, ip_proto, put16, Error, Result};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
}

pub const HEADER_LEN: usize = 8;

/// A view of a UDP datagram.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking that the length field is at least a
    /// header and fits in the buffer.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let declared = usize::from(packet.len());
        if declared < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if declared > len {
            return Err(Error::Truncated);
        }
        Ok(packet)
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

    pub fn src_port(&self) -> u16 {
        be16(self.data(), field::SRC_PORT)
    }

    pub fn dst_port(&self) -> u16 {
        be16(self.data(), field::DST_PORT)
    }

    /// The length field: header plus payload.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u16 {
        be16(self.data(), field::LENGTH)
    }

    pub fn checksum(&self) -> u16 {
        be16(self.data(), field::CHECKSUM)
    }

    pub fn payload(&self) -> &[u8] {
        self.data()
            .get(HEADER_LEN..usize::from(self.len()))
            .unwrap_or(&[])
    }

    /// Whether the checksum is correct for `src`/`dst`. A zero checksum
    /// means "none" over IPv4 and passes; over IPv6 it is never valid.
    pub fn verify_checksum(&self, src: &[u8], dst: &[u8]) -> bool {
        if self.checksum() == 0 {
            return src.len() == 4;
        }
        let datagram = self.data().get(..usize::from(self.len())).unwrap_or(&[]);
        checksum::verify(
            checksum::pseudo_header(src, dst, ip_proto::UDP, u32::from(self.len())),
            datagram,
        )
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    pub fn set_src_port(&mut self, port: u16) {
        put16(self.data_mut(), field::SRC_PORT, port);
    }

    pub fn set_dst_port(&mut self, port: u16) {
        put16(self.data_mut(), field::DST_PORT, port);
    }

    pub fn set_checksum(&mut self, value: u16) {
        put16(self.data_mut(), field::CHECKSUM, value);
    }

    /// Recomputes the checksum (a computed zero is sent as all ones).
    pub fn fill_checksum(&mut self, src: &[u8], dst: &[u8]) {
        self.set_checksum(0);
        let len = self.len();
        let acc = checksum::pseudo_header(src, dst, ip_proto::UDP, u32::from(len));
        let datagram = self.data().get(..usize::from(len)).unwrap_or(&[]);
        let sum = !checksum::fold(checksum::accumulate(acc, datagram));
        self.set_checksum(if sum == 0 { 0xffff } else { sum });
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        self.data_mut().get_mut(HEADER_LEN..end).unwrap_or(&mut [])
    }
}

/// The fields of a UDP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload_len: usize,
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
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload_len: usize::from(packet.len()) - HEADER_LEN,
        })
    }

    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Writes the header into `buffer` (exactly `buffer_len()` bytes, the
    /// payload already in place) and fills the checksum for `src`/`dst`.
    pub fn emit(&self, buffer: &mut [u8], src: &[u8], dst: &[u8]) -> Result<()> {
        if buffer.len() != self.buffer_len() {
            return Err(Error::Truncated);
        }
        let len = u16::try_from(self.buffer_len()).map_err(|_| Error::Malformed)?;
        put16(buffer, field::SRC_PORT, self.src_port);
        put16(buffer, field::DST_PORT, self.dst_port);
        put16(buffer, field::LENGTH, len);
        Packet::new_unchecked(buffer).fill_checksum(src, dst);
        Ok(())
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UDP src={} dst={} len={}",
            self.src_port, self.dst_port, self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: [u8; 4] = [10, 1, 1, 1];
    const DST: [u8; 4] = [10, 1, 1, 2];

    fn datagram() -> Vec<u8> {
        // OVS 3.1 firewall scenario: 5353 -> 53 with a 64-byte 00..3f payload.
        let repr = Repr {
            src_port: 5353,
            dst_port: 53,
            payload_len: 64,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        for (i, b) in buf[HEADER_LEN..].iter_mut().enumerate() {
            *b = i as u8;
        }
        repr.emit(&mut buf, &SRC, &DST).unwrap();
        buf
    }

    #[test]
    fn emit_reproduces_ovs_checksum() {
        let buf = datagram();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.checksum(), 0xf037);
        assert_eq!(
            Repr::parse(&p, &SRC, &DST, true).unwrap(),
            Repr {
                src_port: 5353,
                dst_port: 53,
                payload_len: 64
            }
        );
    }

    #[test]
    fn zero_checksum_passes_over_ipv4_only() {
        let mut buf = datagram();
        buf[6] = 0;
        buf[7] = 0;
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum(&SRC, &DST));
        assert!(!p.verify_checksum(&[0; 16], &[0; 16]));
    }

    #[test]
    fn bad_lengths_are_rejected() {
        let mut buf = datagram();
        buf[5] = 4;
        assert_eq!(Packet::new_checked(&buf[..]).unwrap_err(), Error::Malformed);
        buf[4] = 1;
        assert_eq!(Packet::new_checked(&buf[..]).unwrap_err(), Error::Truncated);
        assert_eq!(
            Packet::new_checked(&buf[..7]).unwrap_err(),
            Error::Truncated
        );
    }
}
