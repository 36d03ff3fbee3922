//! ARP for IPv4 over Ethernet, the only kind the datapath reads fields of.

use super::{array, be16, be32, Error, Result};

mod field {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: usize = 8;
    pub const SPA: usize = 14;
    pub const THA: usize = 18;
    pub const TPA: usize = 24;
}

/// The length of an Ethernet/IPv4 ARP message.
pub const PACKET_LEN: usize = 28;

/// A view of an Ethernet/IPv4 ARP message.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking that it is long enough and that it is
    /// Ethernet (1) over IPv4 (0x0800) with 6- and 4-byte addresses.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let data = buffer.as_ref();
        if data.len() < PACKET_LEN {
            return Err(Error::Truncated);
        }
        let ok = be16(data, field::HTYPE) == 1
            && be16(data, field::PTYPE) == 0x0800
            && data.get(field::HLEN) == Some(&6)
            && data.get(field::PLEN) == Some(&4);
        if !ok {
            return Err(Error::Malformed);
        }
        Ok(Packet { buffer })
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn operation(&self) -> u16 {
        be16(self.data(), field::OPER)
    }

    pub fn sender_hw(&self) -> [u8; 6] {
        array(self.data(), field::SHA)
    }

    pub fn sender_ip(&self) -> u32 {
        be32(self.data(), field::SPA)
    }

    pub fn target_hw(&self) -> [u8; 6] {
        array(self.data(), field::THA)
    }

    pub fn target_ip(&self) -> u32 {
        be32(self.data(), field::TPA)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Vec<u8> {
        let mut p = vec![0, 1, 8, 0, 6, 4, 0, 1];
        p.extend_from_slice(&[0xaa; 6]);
        p.extend_from_slice(&[10, 0, 0, 1]);
        p.extend_from_slice(&[0; 6]);
        p.extend_from_slice(&[10, 0, 0, 2]);
        p
    }

    #[test]
    fn request_fields_read_back() {
        let buf = request();
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.operation(), 1);
        assert_eq!(p.sender_hw(), [0xaa; 6]);
        assert_eq!(p.sender_ip(), 0x0a00_0001);
        assert_eq!(p.target_ip(), 0x0a00_0002);
    }

    #[test]
    fn other_hardware_or_short_messages_are_refused() {
        let mut buf = request();
        buf[1] = 6;
        assert_eq!(Packet::new_checked(&buf[..]).err(), Some(Error::Malformed));
        assert_eq!(
            Packet::new_checked(&request()[..20]).err(),
            Some(Error::Truncated)
        );
    }
}
