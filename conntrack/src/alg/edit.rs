//! What an ALG does to a packet, for the caller to apply to its own
//! copy: new text in place of part of the TCP payload (the packet grows
//! or shrinks, and the IP length follows), and shifts of the sequence and
//! acknowledgement numbers. The IPv4 header checksum and the TCP checksum
//! are computed anew.

use crate::extract::L3;
use crate::wire::{ip_proto, ipv4, ipv6, tcp, Error, Result};

/// The longest text an edit puts in (an IPv6 address's text form).
pub const MAX_TEXT: usize = 45;

/// Text replacing `len` bytes `at` bytes into the TCP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice {
    pub at: usize,
    pub len: usize,
    text: [u8; MAX_TEXT],
    text_len: usize,
}

impl Splice {
    /// `None` if `text` is longer than [`MAX_TEXT`].
    pub fn new(at: usize, len: usize, text: &[u8]) -> Option<Self> {
        let mut buf = [0; MAX_TEXT];
        buf.get_mut(..text.len())?.copy_from_slice(text);
        Some(Splice {
            at,
            len,
            text: buf,
            text_len: text.len(),
        })
    }

    pub fn text(&self) -> &[u8] {
        self.text.get(..self.text_len).unwrap_or(&[])
    }

    /// How many bytes the payload grows by (negative: shrinks).
    pub fn delta(&self) -> i32 {
        self.text_len as i32 - self.len as i32
    }
}

/// An ALG's edit of one TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Edit {
    /// Added to the sequence number (modulo 2^32).
    pub seq: i32,
    /// Added to the acknowledgement number (modulo 2^32).
    pub ack: i32,
    pub splice: Option<Splice>,
}

impl Edit {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.seq == 0 && self.ack == 0 && self.splice.is_none()
    }

    /// Applies the edit to the TCP segment whose IP header starts at
    /// `l3_at` in `frame`. Bytes after the IP packet (link-layer padding)
    /// are dropped when the payload changes length.
    pub fn apply(&self, frame: &mut Vec<u8>, l3_at: usize, l3: L3) -> Result<()> {
        let ip_data = frame.get(l3_at..).ok_or(Error::Truncated)?;
        let (l4_at, ip_len) = match l3 {
            L3::Ipv4 => {
                let ip = ipv4::Packet::new_checked(ip_data)?;
                if ip.protocol() != ip_proto::TCP {
                    return Err(Error::Malformed);
                }
                (ip.header_len(), usize::from(ip.total_len()))
            }
            L3::Ipv6 => {
                let ip = ipv6::Packet::new_checked(ip_data)?;
                let upper = ip.upper_layer()?;
                if upper.protocol != ip_proto::TCP {
                    return Err(Error::Malformed);
                }
                (
                    upper.offset,
                    ipv6::HEADER_LEN + usize::from(ip.payload_len()),
                )
            }
        };
        let segment = ip_data.get(l4_at..ip_len).ok_or(Error::Truncated)?;
        let header_len = tcp::Packet::new_checked(segment)?.header_len();
        let mut ip_len = ip_len;
        if let Some(splice) = &self.splice {
            let start = l3_at + l4_at + header_len + splice.at;
            let end = start + splice.len;
            if end > l3_at + ip_len {
                return Err(Error::Truncated);
            }
            let grown = ip_len as i64 + i64::from(splice.delta());
            let new_len = u16::try_from(grown).map_err(|_| Error::Malformed)?;
            frame.truncate(l3_at + ip_len);
            frame.splice(start..end, splice.text().iter().copied());
            ip_len = usize::from(new_len);
            let ip_data = frame.get_mut(l3_at..).ok_or(Error::Truncated)?;
            match l3 {
                L3::Ipv4 => {
                    let mut ip = ipv4::Packet::new_unchecked(ip_data);
                    ip.set_total_len(new_len);
                    ip.fill_checksum();
                }
                L3::Ipv6 => {
                    let payload = new_len - ipv6::HEADER_LEN as u16;
                    ipv6::Packet::new_unchecked(ip_data).set_payload_len(payload);
                }
            }
        }
        let ip_data = frame
            .get_mut(l3_at..l3_at + ip_len)
            .ok_or(Error::Truncated)?;
        let (src, dst) = addresses(ip_data, l3)?;
        let segment = ip_data.get_mut(l4_at..).ok_or(Error::Truncated)?;
        let mut seg = tcp::Packet::new_unchecked(segment);
        seg.set_seq_number(seg.seq_number().wrapping_add(self.seq as u32));
        seg.set_ack_number(seg.ack_number().wrapping_add(self.ack as u32));
        let len = match l3 {
            L3::Ipv4 => 4,
            L3::Ipv6 => 16,
        };
        seg.fill_checksum(src.get(..len).unwrap_or(&[]), dst.get(..len).unwrap_or(&[]));
        Ok(())
    }
}

/// The source and destination addresses of an IP header, in 16-byte
/// slots.
fn addresses(ip: &[u8], l3: L3) -> Result<([u8; 16], [u8; 16])> {
    let mut src = [0; 16];
    let mut dst = [0; 16];
    match l3 {
        L3::Ipv4 => {
            let ip = ipv4::Packet::new_checked(ip)?;
            src[..4].copy_from_slice(&ip.src_bytes());
            dst[..4].copy_from_slice(&ip.dst_bytes());
        }
        L3::Ipv6 => {
            let ip = ipv6::Packet::new_checked(ip)?;
            src = ip.src_bytes();
            dst = ip.dst_bytes();
        }
    }
    Ok((src, dst))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::wire::compose;

    fn segment(src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
        let repr = tcp::Repr {
            src_port: 40000,
            dst_port: 21,
            seq_number: 1000,
            ack_number: 5000,
            flags: tcp::flags::PSH | tcp::flags::ACK,
            window_len: 65535,
            window_scale: None,
            payload_len: 0,
        };
        let src: IpAddr = src.parse().unwrap();
        let dst: IpAddr = dst.parse().unwrap();
        compose::tcp_packet_with(src, dst, &repr, payload).unwrap()
    }

    fn check(packet: &[u8], l3: L3, payload: &[u8], seq: u32, ack: u32) {
        let (l4, src, dst, len) = match l3 {
            L3::Ipv4 => {
                let ip = ipv4::Packet::new_checked(packet).unwrap();
                assert!(ip.verify_checksum());
                assert_eq!(usize::from(ip.total_len()), packet.len());
                (
                    ip.payload().to_vec(),
                    ip.src_bytes().to_vec(),
                    ip.dst_bytes().to_vec(),
                    0,
                )
            }
            L3::Ipv6 => {
                let ip = ipv6::Packet::new_checked(packet).unwrap();
                let len = usize::from(ip.payload_len()) + ipv6::HEADER_LEN;
                (
                    ip.payload().to_vec(),
                    ip.src_bytes().to_vec(),
                    ip.dst_bytes().to_vec(),
                    len,
                )
            }
        };
        if l3 == L3::Ipv6 {
            assert_eq!(len, packet.len());
        }
        let seg = tcp::Packet::new_checked(&l4[..]).unwrap();
        assert!(seg.verify_checksum(&src, &dst));
        assert_eq!(seg.payload(), payload);
        assert_eq!((seg.seq_number(), seg.ack_number()), (seq, ack));
    }

    #[test]
    fn a_longer_text_grows_the_ipv4_packet() {
        let mut p = segment("10.1.1.1", "10.1.1.2", b"PORT 10,1,1,1,195,80\r\n");
        let edit = Edit {
            seq: 6,
            ack: -2,
            splice: Splice::new(5, 8, b"172,16,100,200"),
        };
        edit.apply(&mut p, 0, L3::Ipv4).unwrap();
        check(&p, L3::Ipv4, b"PORT 172,16,100,200,195,80\r\n", 1006, 4998);
    }

    #[test]
    fn a_shorter_text_shrinks_the_ipv6_packet_behind_a_link_header() {
        let mut p = vec![0xaa; 14];
        p.extend(segment(
            "fc00::1",
            "fc00::2",
            b"EPRT |2|fc00::100|50000|\r\n",
        ));
        p.extend([0; 4]);
        let edit = Edit {
            splice: Splice::new(8, 9, b"fc00::1"),
            ..Edit::default()
        };
        edit.apply(&mut p, 14, L3::Ipv6).unwrap();
        assert_eq!(&p[..14], &[0xaa; 14]);
        check(
            &p[14..],
            L3::Ipv6,
            b"EPRT |2|fc00::1|50000|\r\n",
            1000,
            5000,
        );
    }

    #[test]
    fn a_splice_beyond_the_payload_is_refused() {
        let mut p = segment("10.1.1.1", "10.1.1.2", b"PORT");
        let before = p.clone();
        let edit = Edit {
            splice: Splice::new(2, 8, b"x"),
            ..Edit::default()
        };
        assert!(edit.apply(&mut p, 0, L3::Ipv4).is_err());
        assert_eq!(p, before);
        assert!(Edit::default().apply(&mut vec![0x45], 0, L3::Ipv4).is_err());
    }

    proptest::proptest! {
        #[test]
        fn applying_to_any_bytes_never_panics(
            mut frame in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
            at in 0usize..80,
            len in 0usize..40,
            text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..MAX_TEXT),
            offset in 0usize..20,
            v6: bool,
        ) {
            let edit = Edit { seq: 3, ack: -3, splice: Splice::new(at, len, &text) };
            let l3 = if v6 { L3::Ipv6 } else { L3::Ipv4 };
            let _ = edit.apply(&mut frame, offset, l3);
        }

        #[test]
        fn any_splice_of_a_real_segment_keeps_it_consistent(
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60),
            at in 0usize..70,
            len in 0usize..70,
            text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..MAX_TEXT),
        ) {
            let mut p = segment("10.1.1.1", "10.1.1.2", &payload);
            let edit = Edit { seq: 1, ack: 1, splice: Splice::new(at, len, &text) };
            if edit.apply(&mut p, 0, L3::Ipv4).is_ok() {
                let mut want = payload.clone();
                want.splice(at..at + len, text.iter().copied());
                check(&p, L3::Ipv4, &want, 1001, 5001);
            }
        }
    }

    #[test]
    fn text_longer_than_the_limit_is_refused() {
        assert!(Splice::new(0, 0, &[b'a'; MAX_TEXT + 1]).is_none());
    }
}
