//! TCP header (RFC 9293) with its options, of which the tracker needs the
//! window scale (RFC 7323).

use core::fmt;

use super::{be16, be32, byte, checksum, ip_proto, put16, put32, Error, Result};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ_NUM: usize = 4;
    pub const ACK_NUM: usize = 8;
    pub const OFF_FLAGS: usize = 12;
    pub const WIN_SIZE: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
    pub const OPTIONS: usize = 20;
}

/// The length of a header without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// The largest window scale shift RFC 7323 allows.
pub const MAX_WINDOW_SCALE: u8 = 14;

/// TCP flag bits, as they sit in the low bits of the offset/flags word.
pub mod flags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const NS: u16 = 0x100;
    /// Every flag bit.
    pub const ALL: u16 = 0xfff;
}

mod option {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const WINDOW_SCALE: u8 = 3;
}

/// A view of a TCP segment.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking that the header, options included,
    /// fits in it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if packet.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if packet.header_len() > len {
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

    pub fn seq_number(&self) -> u32 {
        be32(self.data(), field::SEQ_NUM)
    }

    pub fn ack_number(&self) -> u32 {
        be32(self.data(), field::ACK_NUM)
    }

    /// The header length in bytes (the data offset), options included.
    pub fn header_len(&self) -> usize {
        usize::from(byte(self.data(), field::OFF_FLAGS) >> 4) * 4
    }

    /// The flag bits; see [`flags`].
    pub fn flags(&self) -> u16 {
        be16(self.data(), field::OFF_FLAGS) & flags::ALL
    }

    pub fn window_len(&self) -> u16 {
        be16(self.data(), field::WIN_SIZE)
    }

    pub fn checksum(&self) -> u16 {
        be16(self.data(), field::CHECKSUM)
    }

    pub fn urgent_at(&self) -> u16 {
        be16(self.data(), field::URGENT)
    }

    pub fn options(&self) -> &[u8] {
        self.data()
            .get(field::OPTIONS..self.header_len())
            .unwrap_or(&[])
    }

    pub fn payload(&self) -> &[u8] {
        self.data().get(self.header_len()..).unwrap_or(&[])
    }

    /// The window scale option's shift (capped at 14), if the option is
    /// present and well formed.
    pub fn window_scale(&self) -> Option<u8> {
        let mut opts = self.options();
        while let Some(&kind) = opts.first() {
            match kind {
                option::END => return None,
                option::NOP => opts = opts.get(1..).unwrap_or(&[]),
                _ => {
                    let len = usize::from(*opts.get(1)?);
                    if len < 2 || len > opts.len() {
                        return None;
                    }
                    if kind == option::WINDOW_SCALE && len == 3 {
                        return opts.get(2).map(|&s| s.min(MAX_WINDOW_SCALE));
                    }
                    opts = opts.get(len..).unwrap_or(&[]);
                }
            }
        }
        None
    }

    /// Whether the checksum is correct for a segment between `src` and
    /// `dst` (4- or 16-byte addresses).
    pub fn verify_checksum(&self, src: &[u8], dst: &[u8]) -> bool {
        let Ok(len) = u32::try_from(self.data().len()) else {
            return false;
        };
        checksum::verify(
            checksum::pseudo_header(src, dst, ip_proto::TCP, len),
            self.data(),
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

    pub fn set_seq_number(&mut self, seq: u32) {
        put32(self.data_mut(), field::SEQ_NUM, seq);
    }

    pub fn set_ack_number(&mut self, ack: u32) {
        put32(self.data_mut(), field::ACK_NUM, ack);
    }

    pub fn set_checksum(&mut self, value: u16) {
        put16(self.data_mut(), field::CHECKSUM, value);
    }

    /// Recomputes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, src: &[u8], dst: &[u8]) {
        self.set_checksum(0);
        let len = u32::try_from(self.data().len()).unwrap_or(u32::MAX);
        let acc = checksum::pseudo_header(src, dst, ip_proto::TCP, len);
        let sum = !checksum::fold(checksum::accumulate(acc, self.data()));
        self.set_checksum(sum);
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        self.data_mut().get_mut(start..).unwrap_or(&mut [])
    }
}

/// The fields of a TCP header the tracker and its tests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq_number: u32,
    pub ack_number: u32,
    pub flags: u16,
    pub window_len: u16,
    pub window_scale: Option<u8>,
    pub payload_len: usize,
}

impl Repr {
    /// Reads a segment, checking its checksum against the pseudo-header of
    /// `src`/`dst` unless `verify` is false.
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
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window_len: packet.window_len(),
            window_scale: packet.window_scale(),
            payload_len: packet.payload().len(),
        })
    }

    /// The header's length: 20 bytes, plus 4 for a window scale option.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + if self.window_scale.is_some() { 4 } else { 0 }
    }

    /// The segment's length, payload included.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// Writes the header into `buffer` (header then payload, exactly
    /// `buffer_len()` bytes, the payload already in place) and fills the
    /// checksum for `src`/`dst`.
    pub fn emit(&self, buffer: &mut [u8], src: &[u8], dst: &[u8]) -> Result<()> {
        let header_len = self.header_len();
        if buffer.len() != self.buffer_len() {
            return Err(Error::Truncated);
        }
        let header = buffer.get_mut(..header_len).ok_or(Error::Truncated)?;
        put16(header, field::SRC_PORT, self.src_port);
        put16(header, field::DST_PORT, self.dst_port);
        put32(header, field::SEQ_NUM, self.seq_number);
        put32(header, field::ACK_NUM, self.ack_number);
        let words = (header_len / 4) as u16;
        put16(
            header,
            field::OFF_FLAGS,
            (words << 12) | (self.flags & flags::ALL),
        );
        put16(header, field::WIN_SIZE, self.window_len);
        put16(header, field::URGENT, 0);
        if let Some(shift) = self.window_scale {
            header[field::OPTIONS..field::OPTIONS + 4].copy_from_slice(&[
                option::NOP,
                option::WINDOW_SCALE,
                3,
                shift,
            ]);
        }
        Packet::new_unchecked(buffer).fill_checksum(src, dst);
        Ok(())
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP src={} dst={} seq={} ack={} flags={:#x} win={} len={}",
            self.src_port,
            self.dst_port,
            self.seq_number,
            self.ack_number,
            self.flags,
            self.window_len,
            self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: [u8; 4] = [10, 1, 1, 1];
    const DST: [u8; 4] = [10, 1, 1, 2];
    // The SYN of OVS 3.1's firewall scenario: 1234 -> 80, seq 1000, window 65535.
    const SYN: [u8; 20] = [
        0x04, 0xd2, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff,
        0xff, 0x90, 0xd4, 0x00, 0x00,
    ];

    #[test]
    fn deconstruct_reads_every_field() {
        let p = Packet::new_checked(&SYN[..]).unwrap();
        assert_eq!(p.src_port(), 1234);
        assert_eq!(p.dst_port(), 80);
        assert_eq!(p.seq_number(), 1000);
        assert_eq!(p.flags(), flags::SYN);
        assert_eq!(p.window_len(), 65535);
        assert_eq!(p.window_scale(), None);
        assert!(p.verify_checksum(&SRC, &DST));
    }

    #[test]
    fn emit_reproduces_ovs_bytes() {
        let repr = Repr::parse(&Packet::new_checked(&SYN[..]).unwrap(), &SRC, &DST, true).unwrap();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, &SRC, &DST).unwrap();
        assert_eq!(buf, SYN);
    }

    #[test]
    fn window_scale_option_is_found_and_capped() {
        let repr = Repr {
            window_scale: Some(20),
            ..Repr::parse(&Packet::new_checked(&SYN[..]).unwrap(), &SRC, &DST, false).unwrap()
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, &SRC, &DST).unwrap();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.window_scale(), Some(MAX_WINDOW_SCALE));
        assert!(p.verify_checksum(&SRC, &DST));
    }

    #[test]
    fn malformed_options_give_no_window_scale() {
        let mut buf = SYN.to_vec();
        buf[12] = 0x60;
        buf.extend_from_slice(&[option::WINDOW_SCALE, 9, 7, 0]);
        assert_eq!(Packet::new_checked(&buf[..]).unwrap().window_scale(), None);
        buf[21] = 0;
        assert_eq!(Packet::new_checked(&buf[..]).unwrap().window_scale(), None);
    }

    #[test]
    fn bad_offsets_are_rejected() {
        let mut buf = SYN.to_vec();
        buf[12] = 0x40;
        assert_eq!(Packet::new_checked(&buf[..]).unwrap_err(), Error::Malformed);
        buf[12] = 0x60;
        assert_eq!(Packet::new_checked(&buf[..]).unwrap_err(), Error::Truncated);
        assert_eq!(
            Packet::new_checked(&SYN[..10]).unwrap_err(),
            Error::Truncated
        );
    }

    #[test]
    fn checksum_catches_a_changed_port() {
        let mut buf = SYN.to_vec();
        buf[1] ^= 1;
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            Repr::parse(&p, &SRC, &DST, true).unwrap_err(),
            Error::Checksum
        );
    }
}
