//! Rewriting a packet from one tuple to another: addresses, TCP/UDP ports
//! or the ICMP echo identifier, with every checksum the change touches
//! fixed incrementally (the IPv4 header's, and the transport checksum
//! over the pseudo-header and the ports or identifier). An ICMP error
//! about a NAT'd connection gets the packet it quotes rewritten too (the
//! quoted headers are cut short, so only what is there is read or
//! written), and its checksum computed anew over the changed quote.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::extract::L3;
use crate::key::{ConnKey, Family};
use crate::wire::{checksum, icmpv4, icmpv6, ip_proto, ipv4, ipv6, tcp, udp, Error, Result};

/// The endpoint values of one IP header and its transport header, before
/// and after.
#[derive(Debug, Clone, Copy)]
struct Change {
    addr_len: usize,
    src: ([u8; 16], [u8; 16]),
    dst: ([u8; 16], [u8; 16]),
    src_port: (u16, u16),
    dst_port: (u16, u16),
}

impl Change {
    /// The change of a header whose addresses are `src` and `dst` when its
    /// packet goes from key `from` to key `to`: an address that is not
    /// `from`'s (an ICMP error's sender, a router) stays, unless `force`
    /// names its side.
    fn of(src: [u8; 16], dst: [u8; 16], from: &ConnKey, to: &ConnKey, force: Sides) -> Self {
        let pick = |cur: [u8; 16], old: [u8; 16], new: [u8; 16], forced: bool| {
            if cur == old || forced {
                new
            } else {
                cur
            }
        };
        Change {
            addr_len: match from.family {
                Family::Ipv4 => 4,
                Family::Ipv6 => 16,
            },
            src: (src, pick(src, from.src, to.src, force.src)),
            dst: (dst, pick(dst, from.dst, to.dst, force.dst)),
            src_port: (from.src_port, to.src_port),
            dst_port: (from.dst_port, to.dst_port),
        }
    }

    /// The checksum after the addresses change, for a checksum that covers
    /// them (the IPv4 header, or a pseudo-header).
    fn addresses(&self, check: u16) -> u16 {
        let len = self.addr_len;
        let check = update_addr(check, &self.src.0, &self.src.1, len);
        update_addr(check, &self.dst.0, &self.dst.1, len)
    }

    /// The checksum after the source and destination ports change.
    fn ports(&self, check: u16) -> u16 {
        let check = checksum::update_u16(check, self.src_port.0, self.src_port.1);
        checksum::update_u16(check, self.dst_port.0, self.dst_port.1)
    }
}

/// The checksum after the first `len` bytes of an address change.
fn update_addr(check: u16, old: &[u8; 16], new: &[u8; 16], len: usize) -> u16 {
    let (old, new) = (old.get(..len), new.get(..len));
    checksum::update_bytes(check, old.unwrap_or(&[]), new.unwrap_or(&[]))
}

/// Which of a packet's own addresses a rewrite sets, whatever they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sides {
    pub src: bool,
    pub dst: bool,
}

/// A packet's rewrite, as the tracker decided it: from its key to the one
/// it must carry on (for an ICMP error, the keys of the connection it
/// quotes, in the error's direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    pub from: ConnKey,
    pub to: ConnKey,
    /// The sides the connection's NAT translates in the packet's
    /// direction: the packet's own header takes `to`'s addresses there
    /// even where an ICMP error's sender (a router) stood, as OVS 3.1
    /// rewrites a related error like any packet of the connection.
    pub force: Sides,
}

impl Rewrite {
    /// Applies the rewrite to the packet whose network header starts `l3`.
    pub fn apply(&self, l3: &mut [u8], family: L3) -> Result<()> {
        rewrite_ip(l3, family, &self.from, &self.to, Header::Own(self.force))
    }
}

/// Rewrites the packet whose network header starts `l3`, whose key is
/// `from`, so that its key becomes `to` (same family and protocol; for
/// ICMP only the echo identifier of `to`'s ports is used).
pub fn rewrite(l3: &mut [u8], family: L3, from: &ConnKey, to: &ConnKey) -> Result<()> {
    rewrite_ip(l3, family, from, to, Header::Own(Sides::default()))
}

/// The header a rewrite works on: the packet's own (its addresses set on
/// the forced sides), or the start of one an ICMP error quotes.
#[derive(Debug, Clone, Copy)]
enum Header {
    Own(Sides),
    Quoted,
}

/// Rewrites an IP packet, or the start of one an ICMP error quotes.
fn rewrite_ip(
    l3: &mut [u8],
    family: L3,
    from: &ConnKey,
    to: &ConnKey,
    header: Header,
) -> Result<()> {
    let (quoted, force) = match header {
        Header::Own(force) => (false, force),
        Header::Quoted => (true, Sides::default()),
    };
    match family {
        L3::Ipv4 => {
            let mut ip = if quoted {
                let len = l3.len();
                let ip = ipv4::Packet::new_unchecked(l3);
                if ip.header_len() < ipv4::HEADER_LEN || ip.header_len() > len {
                    return Err(Error::Truncated);
                }
                ip
            } else {
                ipv4::Packet::new_checked(l3)?
            };
            let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
            copy_prefix(&mut src, &ip.src_bytes());
            copy_prefix(&mut dst, &ip.dst_bytes());
            let change = Change::of(src, dst, from, to, force);
            ip.set_checksum(change.addresses(ip.checksum()));
            let [a, b, c, d, ..] = change.src.1;
            ip.set_src_addr(Ipv4Addr::new(a, b, c, d));
            let [a, b, c, d, ..] = change.dst.1;
            ip.set_dst_addr(Ipv4Addr::new(a, b, c, d));
            let (proto, start) = (ip.protocol(), ip.header_len());
            let end = if quoted {
                usize::MAX
            } else {
                usize::from(ip.total_len())
            };
            let data = ip.into_inner();
            let end = end.min(data.len());
            let l4 = data.get_mut(start..end).ok_or(Error::Truncated)?;
            rewrite_l4(l4, family, proto, &change, (from, to), quoted)
        }
        L3::Ipv6 => {
            let mut ip = if quoted {
                if l3.len() < ipv6::HEADER_LEN {
                    return Err(Error::Truncated);
                }
                ipv6::Packet::new_unchecked(l3)
            } else {
                ipv6::Packet::new_checked(l3)?
            };
            let upper = ip.upper_layer()?;
            let change = Change::of(ip.src_bytes(), ip.dst_bytes(), from, to, force);
            ip.set_src_addr(Ipv6Addr::from(change.src.1));
            ip.set_dst_addr(Ipv6Addr::from(change.dst.1));
            let end = ipv6::HEADER_LEN + usize::from(ip.payload_len());
            let data = ip.into_inner();
            let end = end.min(data.len());
            let l4 = data.get_mut(upper.offset..end).ok_or(Error::Truncated)?;
            rewrite_l4(l4, family, upper.protocol, &change, (from, to), quoted)
        }
    }
}

fn copy_prefix(out: &mut [u8; 16], bytes: &[u8]) {
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
}

/// Rewrites the transport header at the start of `l4`. Its views are
/// unchecked so that a quoted header cut short is rewritten as far as it
/// goes: their reads past the end give zero and their writes do nothing.
/// An error quoted inside an error is left alone (nothing NATs it).
fn rewrite_l4(
    l4: &mut [u8],
    family: L3,
    proto: u8,
    change: &Change,
    (from, to): (&ConnKey, &ConnKey),
    quoted: bool,
) -> Result<()> {
    match proto {
        ip_proto::TCP => {
            let mut seg = tcp::Packet::new_unchecked(l4);
            seg.set_checksum(change.ports(change.addresses(seg.checksum())));
            seg.set_src_port(change.src_port.1);
            seg.set_dst_port(change.dst_port.1);
        }
        ip_proto::UDP => {
            let mut dgram = udp::Packet::new_unchecked(l4);
            // A datagram without a checksum keeps none.
            let old = dgram.checksum();
            if old != 0 {
                let check = change.ports(change.addresses(old));
                dgram.set_checksum(if check == 0 { 0xffff } else { check });
            }
            dgram.set_src_port(change.src_port.1);
            dgram.set_dst_port(change.dst_port.1);
        }
        ip_proto::ICMP => {
            let mut msg = icmpv4::Packet::new_checked(&mut *l4)?;
            if icmpv4::is_error(msg.msg_type()) {
                if !quoted {
                    rewrite_quote(msg.into_inner(), family, from, to)?;
                    icmpv4::Packet::new_unchecked(l4).fill_checksum();
                }
            } else {
                let (old, new) = (from.icmp_id(), to.icmp_id());
                msg.set_checksum(checksum::update_u16(msg.checksum(), old, new));
                msg.set_echo_ident(new);
            }
        }
        ip_proto::ICMPV6 => {
            let mut msg = icmpv6::Packet::new_checked(&mut *l4)?;
            if icmpv6::is_error(msg.msg_type()) {
                if !quoted {
                    rewrite_quote(msg.into_inner(), family, from, to)?;
                    let (src, dst) = (change.src.1, change.dst.1);
                    icmpv6::Packet::new_unchecked(l4).fill_checksum(&src, &dst);
                }
            } else {
                let (old, new) = (from.icmp_id(), to.icmp_id());
                let check = change.addresses(msg.checksum());
                msg.set_checksum(checksum::update_u16(check, old, new));
                msg.set_echo_ident(new);
            }
        }
        // Other protocols carry no ports and no checksum over addresses.
        _ => {}
    }
    Ok(())
}

/// Rewrites the packet quoted by the ICMP error message `icmp` (its
/// 8-byte header first): the quoted packet went the other way, so its key
/// goes from `from`'s reverse to `to`'s.
fn rewrite_quote(icmp: &mut [u8], family: L3, from: &ConnKey, to: &ConnKey) -> Result<()> {
    let quote = icmp.get_mut(icmpv4::HEADER_LEN..).ok_or(Error::Truncated)?;
    rewrite_ip(
        quote,
        family,
        &from.reverse(),
        &to.reverse(),
        Header::Quoted,
    )
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
