//! Rewriting a packet from one tuple to another: addresses, TCP/UDP ports
//! or the ICMP echo identifier, with every checksum the change touches
//! fixed incrementally (the IPv4 header's, and the transport checksum
//! over the pseudo-header and the ports or identifier).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::extract::L3;
use crate::key::{ConnKey, Family};
use crate::wire::{checksum, icmpv4, icmpv6, ip_proto, ipv4, ipv6, tcp, udp, Error, Result};

/// The endpoint values a packet carries, before and after a rewrite.
#[derive(Debug, Clone, Copy)]
struct Change<'k> {
    from: &'k ConnKey,
    to: &'k ConnKey,
}

impl Change<'_> {
    fn addr_len(&self) -> usize {
        match self.from.family {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// The checksum after the addresses change, for a checksum that covers
    /// them (the IPv4 header, or a pseudo-header).
    fn addresses(&self, check: u16) -> u16 {
        let len = self.addr_len();
        let (fs, ts) = (self.from.src.get(..len), self.to.src.get(..len));
        let (fd, td) = (self.from.dst.get(..len), self.to.dst.get(..len));
        let check = checksum::update_bytes(check, fs.unwrap_or(&[]), ts.unwrap_or(&[]));
        checksum::update_bytes(check, fd.unwrap_or(&[]), td.unwrap_or(&[]))
    }

    /// The checksum after the source and destination ports change.
    fn ports(&self, check: u16) -> u16 {
        let check = checksum::update_u16(check, self.from.src_port, self.to.src_port);
        checksum::update_u16(check, self.from.dst_port, self.to.dst_port)
    }
}

/// A packet's rewrite, as the tracker decided it: from its key to the one
/// it must carry on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    pub from: ConnKey,
    pub to: ConnKey,
}

impl Rewrite {
    /// Applies the rewrite to the packet whose network header starts `l3`.
    pub fn apply(&self, l3: &mut [u8], family: L3) -> Result<()> {
        rewrite(l3, family, &self.from, &self.to)
    }
}

/// Rewrites the packet whose network header starts `l3`, whose key is
/// `from`, so that its key becomes `to` (same family and protocol; for
/// ICMP only the echo identifier of `to`'s ports is used).
pub fn rewrite(l3: &mut [u8], family: L3, from: &ConnKey, to: &ConnKey) -> Result<()> {
    let change = Change { from, to };
    match family {
        L3::Ipv4 => {
            let mut ip = ipv4::Packet::new_checked(l3)?;
            let check = change.addresses(ip.checksum());
            ip.set_checksum(check);
            let [a, b, c, d, ..] = to.src;
            ip.set_src_addr(Ipv4Addr::new(a, b, c, d));
            let [a, b, c, d, ..] = to.dst;
            ip.set_dst_addr(Ipv4Addr::new(a, b, c, d));
            let proto = ip.protocol();
            rewrite_l4(ip.payload_mut(), proto, &change)
        }
        L3::Ipv6 => {
            let mut ip = ipv6::Packet::new_checked(l3)?;
            let upper = ip.upper_layer()?;
            ip.set_src_addr(Ipv6Addr::from(to.src));
            ip.set_dst_addr(Ipv6Addr::from(to.dst));
            let l4 = ip
                .into_inner()
                .get_mut(upper.offset..)
                .ok_or(Error::Truncated)?;
            rewrite_l4(l4, upper.protocol, &change)
        }
    }
}

/// Rewrites the transport header at the start of `l4`.
fn rewrite_l4(l4: &mut [u8], proto: u8, change: &Change<'_>) -> Result<()> {
    match proto {
        ip_proto::TCP => {
            let mut seg = tcp::Packet::new_checked(l4)?;
            let check = change.ports(change.addresses(seg.checksum()));
            seg.set_checksum(check);
            seg.set_src_port(change.to.src_port);
            seg.set_dst_port(change.to.dst_port);
        }
        ip_proto::UDP => {
            let mut dgram = udp::Packet::new_checked(l4)?;
            // An IPv4 datagram without a checksum keeps none.
            let old = dgram.checksum();
            if old != 0 {
                let check = change.ports(change.addresses(old));
                dgram.set_checksum(if check == 0 { 0xffff } else { check });
            }
            dgram.set_src_port(change.to.src_port);
            dgram.set_dst_port(change.to.dst_port);
        }
        ip_proto::ICMP => {
            let mut msg = icmpv4::Packet::new_checked(l4)?;
            if !icmpv4::is_error(msg.msg_type()) {
                let (old, new) = (change.from.icmp_id(), change.to.icmp_id());
                msg.set_checksum(checksum::update_u16(msg.checksum(), old, new));
                msg.set_echo_ident(new);
            }
        }
        ip_proto::ICMPV6 => {
            let mut msg = icmpv6::Packet::new_checked(l4)?;
            let mut check = change.addresses(msg.checksum());
            if !icmpv6::is_error(msg.msg_type()) {
                let (old, new) = (change.from.icmp_id(), change.to.icmp_id());
                check = checksum::update_u16(check, old, new);
                msg.set_echo_ident(new);
            }
            msg.set_checksum(check);
        }
        // Other protocols carry no ports and no checksum over addresses.
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::extract::{extract, Extracted};
    use crate::wire::compose;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn l3_of(packet: &[u8]) -> L3 {
        if packet[0] >> 4 == 4 {
            L3::Ipv4
        } else {
            L3::Ipv6
        }
    }

    /// The key of `packet`, its checksums verified.
    fn key_of(packet: &[u8]) -> ConnKey {
        let mut out = Extracted::EMPTY;
        extract(packet, l3_of(packet), 0, true, &mut out).unwrap();
        out.key
    }

    /// Rewrites `packet` to `to` and checks that it now extracts, with
    /// valid checksums, as `to`.
    fn check_rewrite(mut packet: Vec<u8>, to: ConnKey) {
        let from = key_of(&packet);
        let l3 = l3_of(&packet);
        rewrite(&mut packet, l3, &from, &to).unwrap();
        assert_eq!(key_of(&packet), to);
    }

    fn tcp_syn(src: &str, dst: &str, sport: u16, dport: u16) -> Vec<u8> {
        let repr = tcp::Repr {
            src_port: sport,
            dst_port: dport,
            seq_number: 1000,
            ack_number: 0,
            flags: tcp::flags::SYN,
            window_len: 65535,
            window_scale: None,
            payload_len: 10,
        };
        compose::tcp_packet(ip(src), ip(dst), &repr).unwrap()
    }

    #[test]
    fn tcp_source_rewrite_keeps_checksums_valid() {
        let to = ConnKey::new(
            ip("192.168.0.10"),
            ip("10.1.1.2"),
            ip_proto::TCP,
            1500,
            80,
            0,
        );
        check_rewrite(tcp_syn("10.1.1.1", "10.1.1.2", 1234, 80), to);
        let to6 = ConnKey::new(
            ip("fd00::10"),
            ip("2001:db8::2"),
            ip_proto::TCP,
            1500,
            80,
            0,
        );
        check_rewrite(tcp_syn("2001:db8::1", "2001:db8::2", 1234, 80), to6);
    }

    #[test]
    fn udp_destination_rewrite_keeps_checksums_valid() {
        let p = compose::udp_packet(ip("10.1.1.1"), ip("10.1.1.2"), 40000, 53, 20).unwrap();
        let to = ConnKey::new(
            ip("10.1.1.1"),
            ip("172.16.0.5"),
            ip_proto::UDP,
            40000,
            5353,
            0,
        );
        check_rewrite(p, to);
        let p6 = compose::udp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 40000, 53, 20).unwrap();
        let to6 = ConnKey::new(
            ip("2001:db8::1"),
            ip("fd00::5"),
            ip_proto::UDP,
            40000,
            5353,
            0,
        );
        check_rewrite(p6, to6);
    }

    #[test]
    fn udp_without_checksum_keeps_none() {
        let mut p = compose::udp_packet(ip("10.1.1.1"), ip("10.1.1.2"), 40000, 53, 4).unwrap();
        // The UDP checksum sits 6 bytes into the UDP header, after 20 of IPv4.
        p[26] = 0;
        p[27] = 0;
        let from = key_of(&p);
        let to = ConnKey::new(
            ip("192.168.0.10"),
            ip("10.1.1.2"),
            ip_proto::UDP,
            1024,
            53,
            0,
        );
        rewrite(&mut p, L3::Ipv4, &from, &to).unwrap();
        assert_eq!((p[26], p[27]), (0, 0));
        assert_eq!(key_of(&p), to);
    }

    #[test]
    fn icmp_echo_rewrite_changes_addresses_and_identifier() {
        let p = compose::icmp_packet(ip("10.1.1.1"), ip("10.1.1.2"), 8, 0, 7, b"ping").unwrap();
        check_rewrite(
            p,
            ConnKey::new_icmp(ip("192.168.0.10"), ip("10.1.1.2"), 9, 8, 0, 0),
        );
        let p6 =
            compose::icmp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 128, 0, 7, b"ping").unwrap();
        check_rewrite(
            p6,
            ConnKey::new_icmp(ip("fd00::10"), ip("2001:db8::2"), 7, 128, 0, 0),
        );
    }

    #[test]
    fn truncated_packets_are_refused() {
        let p = tcp_syn("10.1.1.1", "10.1.1.2", 1234, 80);
        let from = key_of(&p);
        let mut short = p[..30].to_vec();
        assert!(rewrite(&mut short, L3::Ipv4, &from, &from).is_err());
        assert!(rewrite(&mut [], L3::Ipv6, &from, &from).is_err());
    }
}
