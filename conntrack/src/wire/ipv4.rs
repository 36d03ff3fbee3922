//! IPv4 header (RFC 791).

use core::fmt;
use std::net::Ipv4Addr;

use super::{be16, byte, checksum, put16, Error, Result};

mod field {
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC_ADDR: core::ops::Range<usize> = 12..16;
    pub const DST_ADDR: core::ops::Range<usize> = 16..20;
}

/// The length of a header without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

const FLAG_DONT_FRAG: u16 = 0x4000;
const FLAG_MORE_FRAGS: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A view of an IPv4 header and what follows it.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the version, the header length and
    /// that the total length fits in the buffer.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if packet.version() != 4 || packet.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        let total = usize::from(packet.total_len());
        if total < packet.header_len() {
            return Err(Error::Malformed);
        }
        if packet.header_len() > len || total > len {
            return Err(Error::Truncated);
        }
        Ok(packet)
    }

    /// Wraps `buffer` without checks, to fill a buffer being built; the
    /// accessors stay panic-free on a short buffer (they read zeros).
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn version(&self) -> u8 {
        byte(self.data(), field::VER_IHL) >> 4
    }

    /// The header length in bytes, options included.
    pub fn header_len(&self) -> usize {
        usize::from(byte(self.data(), field::VER_IHL) & 0x0f) * 4
    }

    pub fn dscp_ecn(&self) -> u8 {
        byte(self.data(), field::DSCP_ECN)
    }

    pub fn total_len(&self) -> u16 {
        be16(self.data(), field::LENGTH)
    }

    pub fn ident(&self) -> u16 {
        be16(self.data(), field::IDENT)
    }

    pub fn dont_frag(&self) -> bool {
        be16(self.data(), field::FLG_OFF) & FLAG_DONT_FRAG != 0
    }

    pub fn more_frags(&self) -> bool {
        be16(self.data(), field::FLG_OFF) & FLAG_MORE_FRAGS != 0
    }

    /// The fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.data(), field::FLG_OFF) & OFFSET_MASK) << 3
    }

    /// Whether this is a fragment (any but an unfragmented datagram).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    pub fn ttl(&self) -> u8 {
        byte(self.data(), field::TTL)
    }

    pub fn protocol(&self) -> u8 {
        byte(self.data(), field::PROTOCOL)
    }

    pub fn checksum(&self) -> u16 {
        be16(self.data(), field::CHECKSUM)
    }

    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.src_bytes())
    }

    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.dst_bytes())
    }

    /// The source address as it is on the wire.
    pub fn src_bytes(&self) -> [u8; 4] {
        super::array(self.data(), field::SRC_ADDR.start)
    }

    /// The destination address as it is on the wire.
    pub fn dst_bytes(&self) -> [u8; 4] {
        super::array(self.data(), field::DST_ADDR.start)
    }

    /// Whether the header checksum is correct.
    pub fn verify_checksum(&self) -> bool {
        match self.data().get(..self.header_len()) {
            Some(header) => checksum::verify(0, header),
            None => false,
        }
    }

    /// What follows the header, up to the total length (trailing link
    /// padding excluded) or the end of the buffer, whichever comes first
    /// (an ICMP error quotes a datagram cut short).
    pub fn payload(&self) -> &[u8] {
        let end = usize::from(self.total_len()).min(self.data().len());
        self.data().get(self.header_len()..end).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    pub fn set_src_addr(&mut self, addr: Ipv4Addr) {
        if let Some(b) = self.data_mut().get_mut(field::SRC_ADDR) {
            b.copy_from_slice(&addr.octets());
        }
    }

    pub fn set_dst_addr(&mut self, addr: Ipv4Addr) {
        if let Some(b) = self.data_mut().get_mut(field::DST_ADDR) {
            b.copy_from_slice(&addr.octets());
        }
    }

    pub fn set_total_len(&mut self, value: u16) {
        put16(self.data_mut(), field::LENGTH, value);
    }

    pub fn set_ident(&mut self, value: u16) {
        put16(self.data_mut(), field::IDENT, value);
    }

    /// Sets "more fragments" and the offset (in bytes, a multiple of 8),
    /// keeping "don't fragment".
    pub fn set_fragment(&mut self, more: bool, offset: u16) {
        let keep = be16(self.data(), field::FLG_OFF) & FLAG_DONT_FRAG;
        let more = if more { FLAG_MORE_FRAGS } else { 0 };
        put16(self.data_mut(), field::FLG_OFF, keep | more | (offset >> 3));
    }

    pub fn set_checksum(&mut self, value: u16) {
        put16(self.data_mut(), field::CHECKSUM, value);
    }

    /// Recomputes the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let len = self.header_len();
        let sum = self.data().get(..len).map_or(0, checksum::checksum);
        self.set_checksum(sum);
    }

    /// The payload, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.header_len(), usize::from(self.total_len()));
        self.data_mut().get_mut(start..end).unwrap_or(&mut [])
    }
}

/// The fields of an option-less, unfragmented IPv4 header (emitted with
/// identification and flags zero, as `ovs-ofctl compose-packet` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_addr: Ipv4Addr,
    pub dst_addr: Ipv4Addr,
    pub protocol: u8,
    pub payload_len: usize,
    pub ttl: u8,
}

impl Repr {
    /// Reads a header, checking its checksum unless `verify` is false (as
    /// when a NIC has already checked it).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, verify: bool) -> Result<Self> {
        if verify && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
            ttl: packet.ttl(),
        })
    }

    /// The header's length on the wire.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header (with its checksum) at the start of `buffer`, which
    /// must hold at least `buffer_len()` bytes; the payload length must fit
    /// in 16 bits.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        let total = u16::try_from(HEADER_LEN + self.payload_len).map_err(|_| Error::Malformed)?;
        let header = buffer.get_mut(..HEADER_LEN).ok_or(Error::Truncated)?;
        header.fill(0);
        header[field::VER_IHL] = 0x45;
        put16(header, field::LENGTH, total);
        header[field::TTL] = self.ttl;
        header[field::PROTOCOL] = self.protocol;
        header[field::SRC_ADDR].copy_from_slice(&self.src_addr.octets());
        header[field::DST_ADDR].copy_from_slice(&self.dst_addr.octets());
        let sum = checksum::checksum(header);
        put16(header, field::CHECKSUM, sum);
        Ok(())
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv4 src={} dst={} proto={} len={}",
            self.src_addr, self.dst_addr, self.protocol, self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 10.1.1.1 -> 10.1.1.2, TCP, 40 bytes total, from OVS 3.1's firewall scenario.
    const BYTES: [u8; 20] = [
        0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x64, 0xcc, 0x0a, 0x01, 0x01,
        0x01, 0x0a, 0x01, 0x01, 0x02,
    ];

    fn frame() -> Vec<u8> {
        let mut v = BYTES.to_vec();
        v.resize(40, 0);
        v
    }

    #[test]
    fn deconstruct_reads_every_field() {
        let data = frame();
        let p = Packet::new_checked(&data[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 40);
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), 6);
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 1, 1, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 1, 1, 2));
        assert!(!p.is_fragment());
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 20);
    }

    #[test]
    fn emit_then_parse_round_trips() {
        let repr = Repr {
            src_addr: Ipv4Addr::new(1, 2, 3, 4),
            dst_addr: Ipv4Addr::new(5, 6, 7, 8),
            protocol: 17,
            payload_len: 8,
            ttl: 64,
        };
        let mut buf = vec![0u8; 28];
        repr.emit(&mut buf).unwrap();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Repr::parse(&p, true).unwrap(), repr);
    }

    #[test]
    fn short_or_lying_headers_are_rejected() {
        assert_eq!(
            Packet::new_checked(&BYTES[..19]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            Packet::new_checked(&BYTES[..]).unwrap_err(),
            Error::Truncated
        );
        let mut bad = frame();
        bad[0] = 0x44;
        assert_eq!(Packet::new_checked(&bad[..]).unwrap_err(), Error::Malformed);
        let mut v6 = frame();
        v6[0] = 0x65;
        assert_eq!(Packet::new_checked(&v6[..]).unwrap_err(), Error::Malformed);
    }

    #[test]
    fn bad_checksum_is_reported() {
        let mut data = frame();
        data[11] ^= 1;
        let p = Packet::new_checked(&data[..]).unwrap();
        assert_eq!(Repr::parse(&p, true).unwrap_err(), Error::Checksum);
        assert!(Repr::parse(&p, false).is_ok());
    }

    #[test]
    fn setters_and_fill_checksum_keep_the_header_valid() {
        let mut data = frame();
        let mut p = Packet::new_checked(&mut data[..]).unwrap();
        p.set_src_addr(Ipv4Addr::new(192, 168, 0, 10));
        assert!(!p.verify_checksum());
        p.fill_checksum();
        assert!(p.verify_checksum());
    }
}
