//! IPv6 header (RFC 8200) and the walk over its extension headers.

use core::fmt;
use std::net::Ipv6Addr;

use super::{be16, byte, ip_proto, put16, Error, Result};

mod field {
    pub const VER_TC_FLOW: usize = 0;
    pub const LENGTH: usize = 4;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: core::ops::Range<usize> = 8..24;
    pub const DST_ADDR: core::ops::Range<usize> = 24..40;
}

/// The length of the fixed header.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// The most extension headers walked before a packet is called malformed,
/// so that a crafted chain cannot make the walk long.
const MAX_EXT_HEADERS: usize = 16;

/// A view of an IPv6 header and what follows it.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

/// Where the upper-layer header starts, found by [`Packet::upper_layer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// The protocol of the first header that is not an extension header.
    pub protocol: u8,
    /// Its offset from the start of the IPv6 header.
    pub offset: usize,
    /// Whether a fragment header marks this as a fragment of a datagram.
    pub fragment: bool,
    /// Whether that fragment is not the first one (its offset is not zero),
    /// so that no upper-layer header follows.
    pub later_fragment: bool,
    /// Where the fragment header starts (from the start of the IPv6
    /// header), if there is one: reassembly keeps what precedes it.
    pub frag_header: Option<usize>,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking the version and that the payload
    /// length fits in it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if packet.version() != 6 {
            return Err(Error::Malformed);
        }
        if HEADER_LEN + usize::from(packet.payload_len()) > len {
            return Err(Error::Truncated);
        }
        Ok(packet)
    }

    /// Wraps `buffer` without checks, to fill a buffer being built.
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn version(&self) -> u8 {
        byte(self.data(), field::VER_TC_FLOW) >> 4
    }

    /// The traffic class byte (DSCP and ECN).
    pub fn traffic_class(&self) -> u8 {
        let word = be16(self.data(), field::VER_TC_FLOW);
        (word >> 4) as u8
    }

    /// The 20-bit flow label.
    pub fn flow_label(&self) -> u32 {
        let high = u32::from(be16(self.data(), field::VER_TC_FLOW) & 0x000f);
        (high << 16) | u32::from(be16(self.data(), field::VER_TC_FLOW + 2))
    }

    pub fn payload_len(&self) -> u16 {
        be16(self.data(), field::LENGTH)
    }

    pub fn next_header(&self) -> u8 {
        byte(self.data(), field::NXT_HDR)
    }

    pub fn hop_limit(&self) -> u8 {
        byte(self.data(), field::HOP_LIMIT)
    }

    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.src_bytes())
    }

    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.dst_bytes())
    }

    pub fn src_bytes(&self) -> [u8; 16] {
        super::array(self.data(), field::SRC_ADDR.start)
    }

    pub fn dst_bytes(&self) -> [u8; 16] {
        super::array(self.data(), field::DST_ADDR.start)
    }

    /// The payload (extension headers included), up to the payload length
    /// or the end of the buffer, whichever comes first (an ICMPv6 error
    /// quotes a packet cut short).
    pub fn payload(&self) -> &[u8] {
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(self.data().len());
        self.data().get(HEADER_LEN..end).unwrap_or(&[])
    }

    /// Walks the hop-by-hop, routing, destination-options, fragment and
    /// authentication headers to the upper-layer header.
    pub fn upper_layer(&self) -> Result<UpperLayer> {
        let payload = self.payload();
        let mut protocol = self.next_header();
        let mut offset = 0usize;
        let mut fragment = false;
        let mut later_fragment = false;
        let mut frag_header = None;
        for _ in 0..MAX_EXT_HEADERS {
            let len = match protocol {
                ip_proto::HOPOPTS | ip_proto::IPV6_ROUTING | ip_proto::IPV6_DSTOPTS => {
                    let hdr = payload.get(offset..offset + 2).ok_or(Error::Truncated)?;
                    (usize::from(hdr[1]) + 1) * 8
                }
                ip_proto::AH => {
                    let hdr = payload.get(offset..offset + 2).ok_or(Error::Truncated)?;
                    (usize::from(hdr[1]) + 2) * 4
                }
                ip_proto::IPV6_FRAGMENT => {
                    let hdr = payload.get(offset..offset + 8).ok_or(Error::Truncated)?;
                    let off_flags = u16::from_be_bytes([hdr[2], hdr[3]]);
                    // Offset zero without "more fragments" is an atomic
                    // fragment (RFC 6946): a whole datagram.
                    fragment |= off_flags & 0xfff9 != 0;
                    later_fragment |= off_flags & 0xfff8 != 0;
                    frag_header = Some(HEADER_LEN + offset);
                    8
                }
                _ => {
                    return Ok(UpperLayer {
                        protocol,
                        offset: HEADER_LEN + offset,
                        fragment,
                        later_fragment,
                        frag_header,
                    });
                }
            };
            let next = payload.get(offset).copied().ok_or(Error::Truncated)?;
            if offset + len > payload.len() {
                return Err(Error::Truncated);
            }
            protocol = next;
            offset += len;
        }
        Err(Error::Malformed)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    pub fn set_payload_len(&mut self, value: u16) {
        put16(self.data_mut(), field::LENGTH, value);
    }

    pub fn set_src_addr(&mut self, addr: Ipv6Addr) {
        if let Some(b) = self.data_mut().get_mut(field::SRC_ADDR) {
            b.copy_from_slice(&addr.octets());
        }
    }

    pub fn set_dst_addr(&mut self, addr: Ipv6Addr) {
        if let Some(b) = self.data_mut().get_mut(field::DST_ADDR) {
            b.copy_from_slice(&addr.octets());
        }
    }
}

/// The fields of an IPv6 header without extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_addr: Ipv6Addr,
    pub dst_addr: Ipv6Addr,
    pub next_header: u8,
    pub payload_len: usize,
    pub hop_limit: u8,
}

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self> {
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.payload_len()),
            hop_limit: packet.hop_limit(),
        })
    }

    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header at the start of `buffer`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<()> {
        let len = u16::try_from(self.payload_len).map_err(|_| Error::Malformed)?;
        let header = buffer.get_mut(..HEADER_LEN).ok_or(Error::Truncated)?;
        header.fill(0);
        header[field::VER_TC_FLOW] = 0x60;
        put16(header, field::LENGTH, len);
        header[field::NXT_HDR] = self.next_header;
        header[field::HOP_LIMIT] = self.hop_limit;
        header[field::SRC_ADDR].copy_from_slice(&self.src_addr.octets());
        header[field::DST_ADDR].copy_from_slice(&self.dst_addr.octets());
        Ok(())
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv6 src={} dst={} nxt={} len={}",
            self.src_addr, self.dst_addr, self.next_header, self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(next: u8, ext: &[u8], upper: &[u8]) -> Vec<u8> {
        let repr = Repr {
            src_addr: "2001:db8::1".parse().unwrap(),
            dst_addr: "2001:db8::2".parse().unwrap(),
            next_header: next,
            payload_len: ext.len() + upper.len(),
            hop_limit: 64,
        };
        let mut buf = vec![0u8; HEADER_LEN];
        repr.emit(&mut buf).unwrap();
        buf.extend_from_slice(ext);
        buf.extend_from_slice(upper);
        buf
    }

    #[test]
    fn emit_then_parse_round_trips() {
        let buf = packet(ip_proto::TCP, &[], &[0; 20]);
        let p = Packet::new_checked(&buf[..]).unwrap();
        let repr = Repr::parse(&p).unwrap();
        assert_eq!(repr.src_addr, "2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(repr.payload_len, 20);
        assert_eq!(
            p.upper_layer().unwrap(),
            UpperLayer {
                protocol: ip_proto::TCP,
                offset: 40,
                fragment: false,
                later_fragment: false,
                frag_header: None,
            }
        );
    }

    #[test]
    fn walk_skips_hop_by_hop_routing_and_destination_options() {
        let mut ext = vec![ip_proto::IPV6_ROUTING, 0, 0, 0, 0, 0, 0, 0];
        ext.extend_from_slice(&[
            ip_proto::IPV6_DSTOPTS,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        ext.extend_from_slice(&[ip_proto::UDP, 0, 0, 0, 0, 0, 0, 0]);
        let buf = packet(ip_proto::HOPOPTS, &ext, &[0; 8]);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            p.upper_layer().unwrap(),
            UpperLayer {
                protocol: ip_proto::UDP,
                offset: 40 + 32,
                fragment: false,
                later_fragment: false,
                frag_header: None,
            }
        );
    }

    #[test]
    fn later_fragments_are_told_apart_from_first_ones() {
        let first = [ip_proto::TCP, 0, 0x00, 0x01, 0, 0, 0, 1];
        let later = [ip_proto::TCP, 0, 0x00, 0x08, 0, 0, 0, 1];
        let walk = |ext: &[u8]| {
            let buf = packet(ip_proto::IPV6_FRAGMENT, ext, &[0; 20]);
            Packet::new_checked(&buf[..])
                .unwrap()
                .upper_layer()
                .unwrap()
        };
        assert!(walk(&first).fragment && !walk(&first).later_fragment);
        assert!(walk(&later).fragment && walk(&later).later_fragment);
    }

    #[test]
    fn traffic_class_and_flow_label_read_across_nibbles() {
        let mut buf = packet(ip_proto::TCP, &[], &[0; 20]);
        buf[..4].copy_from_slice(&[0x6a, 0xbc, 0xde, 0xf1]);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.traffic_class(), 0xab);
        assert_eq!(p.flow_label(), 0xcdef1);
    }

    #[test]
    fn fragment_header_marks_fragments_but_not_atomic_ones() {
        let later = [ip_proto::TCP, 0, 0x00, 0x08, 0, 0, 0, 1];
        let buf = packet(ip_proto::IPV6_FRAGMENT, &later, &[0; 20]);
        assert!(
            Packet::new_checked(&buf[..])
                .unwrap()
                .upper_layer()
                .unwrap()
                .fragment
        );
        let atomic = [ip_proto::TCP, 0, 0, 0, 0, 0, 0, 1];
        let buf = packet(ip_proto::IPV6_FRAGMENT, &atomic, &[0; 20]);
        assert!(
            !Packet::new_checked(&buf[..])
                .unwrap()
                .upper_layer()
                .unwrap()
                .fragment
        );
    }

    #[test]
    fn truncated_extension_chain_is_an_error() {
        let buf = packet(ip_proto::HOPOPTS, &[ip_proto::TCP, 3, 0, 0], &[]);
        assert_eq!(
            Packet::new_checked(&buf[..])
                .unwrap()
                .upper_layer()
                .unwrap_err(),
            Error::Truncated
        );
        let mut short = packet(ip_proto::TCP, &[], &[0; 20]);
        short.truncate(50);
        assert_eq!(
            Packet::new_checked(&short[..]).unwrap_err(),
            Error::Truncated
        );
    }

    #[test]
    fn endless_extension_chain_is_malformed() {
        let ext: Vec<u8> = (0..20)
            .flat_map(|_| [ip_proto::IPV6_DSTOPTS, 0, 0, 0, 0, 0, 0, 0])
            .collect();
        let buf = packet(ip_proto::IPV6_DSTOPTS, &ext, &[]);
        assert_eq!(
            Packet::new_checked(&buf[..])
                .unwrap()
                .upper_layer()
                .unwrap_err(),
            Error::Malformed
        );
    }
}
