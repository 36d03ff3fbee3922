//! Whole IP packets built from field values, checksums filled in: for
//! tests, benchmarks and capture generators. Payload bytes count up from
//! 0 (as `ovs-ofctl compose-packet` fills them).

use std::net::IpAddr;

use super::{icmpv4, icmpv6, ip_proto, ipv4, ipv6, tcp, udp, Error, Result};

fn octets(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// `len` bytes counting up from 0.
fn payload(len: usize) -> impl Iterator<Item = u8> {
    (0..len).map(|i| i as u8)
}

/// An IPv4 or IPv6 header (by the addresses' family; TTL/hop limit 64)
/// followed by `l4`.
pub fn ip_packet(src: IpAddr, dst: IpAddr, protocol: u8, l4: &[u8]) -> Result<Vec<u8>> {
    let mut out = match (src, dst) {
        (IpAddr::V4(src_addr), IpAddr::V4(dst_addr)) => {
            let repr = ipv4::Repr {
                src_addr,
                dst_addr,
                protocol,
                payload_len: l4.len(),
                ttl: 64,
            };
            let mut header = vec![0u8; repr.buffer_len()];
            repr.emit(&mut header)?;
            header
        }
        (IpAddr::V6(src_addr), IpAddr::V6(dst_addr)) => {
            let repr = ipv6::Repr {
                src_addr,
                dst_addr,
                next_header: protocol,
                payload_len: l4.len(),
                hop_limit: 64,
            };
            let mut header = vec![0u8; repr.buffer_len()];
            repr.emit(&mut header)?;
            header
        }
        _ => return Err(Error::Malformed),
    };
    out.extend_from_slice(l4);
    Ok(out)
}

/// An IPv4 fragment of a datagram of `protocol`: `data` at byte `offset`
/// (a multiple of 8) of the datagram's payload, identification `ident`.
pub fn ipv4_fragment(
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    ident: u16,
    offset: u16,
    more: bool,
    data: &[u8],
) -> Result<Vec<u8>> {
    let mut out = ip_packet(src, dst, protocol, data)?;
    let mut ip = ipv4::Packet::new_checked(&mut out[..])?;
    ip.set_ident(ident);
    ip.set_fragment(more, offset);
    ip.fill_checksum();
    Ok(out)
}

/// A TCP segment of `repr` (its payload counting up) in an IP packet.
pub fn tcp_packet(src: IpAddr, dst: IpAddr, repr: &tcp::Repr) -> Result<Vec<u8>> {
    let data: Vec<u8> = payload(repr.payload_len).collect();
    tcp_packet_with(src, dst, repr, &data)
}

/// A TCP segment of `repr` carrying `data` (whatever `repr.payload_len`
/// says) in an IP packet.
pub fn tcp_packet_with(src: IpAddr, dst: IpAddr, repr: &tcp::Repr, data: &[u8]) -> Result<Vec<u8>> {
    let repr = tcp::Repr {
        payload_len: data.len(),
        ..*repr
    };
    let mut l4 = vec![0u8; repr.header_len()];
    l4.extend_from_slice(data);
    repr.emit(&mut l4, &octets(src), &octets(dst))?;
    ip_packet(src, dst, ip_proto::TCP, &l4)
}

/// A UDP datagram with `len` payload bytes in an IP packet.
pub fn udp_packet(
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    len: usize,
) -> Result<Vec<u8>> {
    let data: Vec<u8> = payload(len).collect();
    udp_packet_with(src, dst, src_port, dst_port, &data)
}

/// A UDP datagram carrying `data` in an IP packet.
pub fn udp_packet_with(
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    data: &[u8],
) -> Result<Vec<u8>> {
    let repr = udp::Repr {
        src_port,
        dst_port,
        payload_len: data.len(),
    };
    let mut l4 = vec![0u8; udp::HEADER_LEN];
    l4.extend_from_slice(data);
    repr.emit(&mut l4, &octets(src), &octets(dst))?;
    ip_packet(src, dst, ip_proto::UDP, &l4)
}

/// An ICMP (IPv4) or ICMPv6 (IPv6) message with `data` after its header;
/// the second header word is `ident` and sequence number 1.
pub fn icmp_packet(
    src: IpAddr,
    dst: IpAddr,
    msg_type: u8,
    code: u8,
    ident: u16,
    data: &[u8],
) -> Result<Vec<u8>> {
    let mut l4 = vec![0u8; icmpv4::HEADER_LEN];
    l4.extend_from_slice(data);
    if src.is_ipv4() {
        icmpv4::Repr {
            msg_type,
            code,
            ident,
            seq_no: 1,
            data_len: data.len(),
        }
        .emit(&mut l4)?;
        ip_packet(src, dst, ip_proto::ICMP, &l4)
    } else {
        let repr = icmpv6::Repr {
            msg_type,
            code,
            ident,
            seq_no: 1,
            data_len: data.len(),
        };
        repr.emit(&mut l4, &octets(src), &octets(dst))?;
        ip_packet(src, dst, ip_proto::ICMPV6, &l4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn udp_packet_is_byte_for_byte_what_ovs_composes() {
        // OVS 3.1's firewall scenario frame, without its Ethernet header.
        let ovs = "4500005c000000004011648d0a0101010a01010214e900350048f037\
                   000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
                   202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
        let built = udp_packet(ip("10.1.1.1"), ip("10.1.1.2"), 5353, 53, 64).unwrap();
        let hex: String = built.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, ovs.replace(' ', ""));
    }

    #[test]
    fn mixed_families_are_refused() {
        assert_eq!(
            ip_packet(ip("10.0.0.1"), ip("::1"), 17, &[]),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn icmpv6_and_tcp_packets_parse_back() {
        let p = icmp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 128, 0, 7, &[1, 2]).unwrap();
        let v6 = ipv6::Packet::new_checked(&p[..]).unwrap();
        assert_eq!(v6.next_header(), ip_proto::ICMPV6);
        let seg = tcp::Repr {
            src_port: 1,
            dst_port: 2,
            seq_number: 3,
            ack_number: 0,
            flags: tcp::flags::SYN,
            window_len: 100,
            window_scale: Some(7),
            payload_len: 5,
        };
        let p = tcp_packet(ip("10.0.0.1"), ip("10.0.0.2"), &seg).unwrap();
        let v4 = ipv4::Packet::new_checked(&p[..]).unwrap();
        let t = tcp::Packet::new_checked(v4.payload()).unwrap();
        assert_eq!(
            tcp::Repr::parse(&t, &[10, 0, 0, 1], &[10, 0, 0, 2], true).unwrap(),
            seg
        );
    }
}
