//! Applying `set(...)`: header fields rewritten under a mask, with the
//! IPv4 header checksum and the TCP/UDP/ICMPv6 checksums (whose
//! pseudo-header covers the addresses) fixed incrementally (RFC 1624);
//! SCTP's ports and CRC32c checksum in `execute::sctp`.
//!
//! As in OVS, a set on a packet that lacks the header does nothing; it is
//! reported so that the executor can count it.

use conntrack::wire::checksum::{update_bytes, update_u16};
use conntrack::wire::{byte, icmpv6, ip_proto, ipv4, ipv6, tcp, udp};
use conntrack::{Masked, L3};

use super::layers::Layers;
use super::layers::MAX_VLAN_TAGS;
use crate::action::{ArpSet, EthSet, IcmpSet, Ipv4Set, Ipv6Set, PortsSet, SetAction};
use crate::wire::ethernet::{resolve_ethertype, Frame};
use crate::wire::ethertype;
use crate::wire::{be16, be32};

/// The IPv4 header's second byte (DSCP and ECN) and TTL, which the
/// `conntrack::wire::ipv4` view reads but cannot write.
const IPV4_TOS_AT: usize = 1;
const IPV4_TTL_AT: usize = 8;
/// The IPv6 header's first word (version, traffic class, flow label) and
/// hop limit.
const IPV6_VTCFL_AT: usize = 0;
const IPV6_HLIMIT_AT: usize = 7;
const IPV6_LABEL_MASK: u32 = 0x000f_ffff;
const IPV6_TCLASS_SHIFT: u32 = 20;

/// Why a set changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetError {
    /// The packet has no header of the kind the action rewrites.
    NoSuchHeader,
}

/// `old` with the bits of `m.mask` replaced by `m.value`'s.
pub(super) fn masked<T>(m: Masked<T>, old: T) -> T
where
    T: Copy
        + core::ops::BitAnd<Output = T>
        + core::ops::BitOr<Output = T>
        + core::ops::Not<Output = T>,
{
    (m.value & m.mask) | (old & !m.mask)
}

/// Applies `set` to the frame in `data`.
pub(crate) fn apply(set: &SetAction, data: &mut [u8]) -> Result<(), SetError> {
    match set {
        SetAction::Eth(eth) => set_eth(eth, data),
        SetAction::Ipv4(ip) => set_ipv4(ip, data),
        SetAction::Ipv6(ip) => set_ipv6(ip, data),
        SetAction::Tcp(ports) => set_ports(ports, ip_proto::TCP, data),
        SetAction::Udp(ports) => set_ports(ports, ip_proto::UDP, data),
        SetAction::Sctp(ports) => set_sctp(ports, data),
        SetAction::Icmp(icmp) => set_icmp(icmp, ip_proto::ICMP, data),
        SetAction::Icmpv6(icmp) => set_icmp(icmp, ip_proto::ICMPV6, data),
        SetAction::Arp(arp) => set_arp(arp, data),
    }
}

/// ICMP and ICMPv6 put type and code in their first two bytes, then
/// the checksum (which covers them).
const ICMP_CHECKSUM_AT: usize = 2;

fn set_icmp(set: &IcmpSet, proto: u8, data: &mut [u8]) -> Result<(), SetError> {
    let layers = Layers::of(data).ok_or(SetError::NoSuchHeader)?;
    let (l4_at, found) = layers.l4.ok_or(SetError::NoSuchHeader)?;
    if found != proto {
        return Err(SetError::NoSuchHeader);
    }
    let l4 = data
        .get_mut(l4_at..l4_at + ICMP_CHECKSUM_AT + 2)
        .ok_or(SetError::NoSuchHeader)?;
    let old = [l4[0], l4[1]];
    let new = [masked(set.icmp_type, old[0]), masked(set.code, old[1])];
    let check = u16::from_be_bytes([l4[ICMP_CHECKSUM_AT], l4[ICMP_CHECKSUM_AT + 1]]);
    let check = update_bytes(check, &old, &new);
    l4[..2].copy_from_slice(&new);
    l4[ICMP_CHECKSUM_AT..].copy_from_slice(&check.to_be_bytes());
    Ok(())
}

/// Where an Ethernet/IPv4 ARP header keeps its fields (RFC 826).
const ARP_LEN: usize = 28;
const ARP_OP_AT: usize = 6;
const ARP_SHA_AT: usize = 8;
const ARP_SPA_AT: usize = 14;
const ARP_THA_AT: usize = 18;
const ARP_TPA_AT: usize = 24;

fn set_arp(set: &ArpSet, data: &mut [u8]) -> Result<(), SetError> {
    let frame = Frame::new_checked(&*data).map_err(|_| SetError::NoSuchHeader)?;
    let (_, type_at) = frame.tags(MAX_VLAN_TAGS);
    let (dl_type, l3_at) = resolve_ethertype(data, type_at);
    if dl_type != ethertype::ARP {
        return Err(SetError::NoSuchHeader);
    }
    let arp = data
        .get_mut(l3_at..l3_at + ARP_LEN)
        .ok_or(SetError::NoSuchHeader)?;
    let mut put = |at: usize, width: usize, m: Masked<u64>| {
        let mut wide = [0u8; 8];
        wide[8 - width..].copy_from_slice(&arp[at..at + width]);
        let new = masked(m, u64::from_be_bytes(wide)).to_be_bytes();
        arp[at..at + width].copy_from_slice(&new[8 - width..]);
    };
    let widen = |m: Masked<u32>| Masked {
        value: u64::from(m.value),
        mask: u64::from(m.mask),
    };
    put(
        ARP_OP_AT,
        2,
        Masked {
            value: u64::from(set.op.value),
            mask: u64::from(set.op.mask),
        },
    );
    put(ARP_SHA_AT, 6, set.sha);
    put(ARP_SPA_AT, 4, widen(set.sip));
    put(ARP_THA_AT, 6, set.tha);
    put(ARP_TPA_AT, 4, widen(set.tip));
    Ok(())
}

fn set_eth(set: &EthSet, data: &mut [u8]) -> Result<(), SetError> {
    let mut frame = Frame::new_checked(data).map_err(|_| SetError::NoSuchHeader)?;
    let mac = |m: Masked<u64>, old: [u8; 6]| {
        let mut wide = [0u8; 8];
        wide[2..].copy_from_slice(&old);
        let new = masked(m, u64::from_be_bytes(wide)).to_be_bytes();
        let mut out = [0u8; 6];
        out.copy_from_slice(&new[2..]);
        out
    };
    let (src, dst) = (
        mac(set.src, frame.src_addr()),
        mac(set.dst, frame.dst_addr()),
    );
    frame.set_src_addr(src);
    frame.set_dst_addr(dst);
    Ok(())
}

fn set_ipv4(set: &Ipv4Set, data: &mut [u8]) -> Result<(), SetError> {
    let layers = Layers::of(data)
        .filter(|l| l.l3 == L3::Ipv4)
        .ok_or(SetError::NoSuchHeader)?;
    let l3 = data.get_mut(layers.l3_at..).ok_or(SetError::NoSuchHeader)?;
    let mut ip = ipv4::Packet::new_checked(l3).map_err(|_| SetError::NoSuchHeader)?;
    let old_src = ip.src_bytes();
    let old_dst = ip.dst_bytes();
    let new_src = masked(set.src, u32::from_be_bytes(old_src)).to_be_bytes();
    let new_dst = masked(set.dst, u32::from_be_bytes(old_dst)).to_be_bytes();
    let mut check = ip.checksum();
    check = update_bytes(check, &old_src, &new_src);
    check = update_bytes(check, &old_dst, &new_dst);
    ip.set_src_addr(new_src.into());
    ip.set_dst_addr(new_dst.into());
    let l3 = ip.into_inner();
    // TOS and TTL each share a 16-bit checksum word with their neighbour.
    for (at, m) in [(IPV4_TOS_AT, set.tos), (IPV4_TTL_AT, set.ttl)] {
        let word_at = at & !1;
        let old_word = be16(l3, word_at);
        let old = byte(l3, at);
        if let Some(b) = l3.get_mut(at) {
            *b = masked(m, old);
        }
        check = update_u16(check, old_word, be16(l3, word_at));
    }
    let mut ip = ipv4::Packet::new_unchecked(l3);
    ip.set_checksum(check);
    fix_l4(data, &layers, &[(&old_src, &new_src), (&old_dst, &new_dst)]);
    Ok(())
}

fn set_ipv6(set: &Ipv6Set, data: &mut [u8]) -> Result<(), SetError> {
    let layers = Layers::of(data)
        .filter(|l| l.l3 == L3::Ipv6)
        .ok_or(SetError::NoSuchHeader)?;
    let l3 = data.get_mut(layers.l3_at..).ok_or(SetError::NoSuchHeader)?;
    let mut ip = ipv6::Packet::new_checked(l3).map_err(|_| SetError::NoSuchHeader)?;
    let old_src = ip.src_bytes();
    let old_dst = ip.dst_bytes();
    let new_src = masked(set.src, u128::from_be_bytes(old_src)).to_be_bytes();
    let new_dst = masked(set.dst, u128::from_be_bytes(old_dst)).to_be_bytes();
    ip.set_src_addr(new_src.into());
    ip.set_dst_addr(new_dst.into());
    let l3 = ip.into_inner();
    let word = be32(l3, IPV6_VTCFL_AT);
    let label = masked(set.label, word & IPV6_LABEL_MASK) & IPV6_LABEL_MASK;
    let tclass = masked(set.tclass, (word >> IPV6_TCLASS_SHIFT) as u8);
    let word = (word & 0xf000_0000) | (u32::from(tclass) << IPV6_TCLASS_SHIFT) | label;
    if let Some(b) = l3.get_mut(IPV6_VTCFL_AT..IPV6_VTCFL_AT + 4) {
        b.copy_from_slice(&word.to_be_bytes());
    }
    if let Some(b) = l3.get_mut(IPV6_HLIMIT_AT) {
        *b = masked(set.hlimit, *b);
    }
    fix_l4(data, &layers, &[(&old_src, &new_src), (&old_dst, &new_dst)]);
    Ok(())
}

/// Fixes the transport checksum after address changes `(old, new)`, for
/// the protocols whose pseudo-header covers them.
fn fix_l4(data: &mut [u8], layers: &Layers, changes: &[(&[u8], &[u8])]) {
    let Some((l4_at, proto)) = layers.l4 else {
        return;
    };
    let Some(l4) = data.get_mut(l4_at..) else {
        return;
    };
    let update = |mut check: u16| {
        for (old, new) in changes {
            check = update_bytes(check, old, new);
        }
        check
    };
    match proto {
        ip_proto::TCP => {
            if let Ok(mut t) = tcp::Packet::new_checked(l4) {
                t.set_checksum(update(t.checksum()));
            }
        }
        ip_proto::UDP => {
            if let Ok(mut u) = udp::Packet::new_checked(l4) {
                let check = update(u.checksum());
                set_udp_checksum(&mut u, layers.l3, check);
            }
        }
        ip_proto::ICMPV6 if layers.l3 == L3::Ipv6 => {
            if let Ok(mut i) = icmpv6::Packet::new_checked(l4) {
                i.set_checksum(update(i.checksum()));
            }
        }
        _ => {}
    }
}

/// An IPv4 UDP checksum of zero means "none" and stays so; a computed
/// zero goes on the wire as all ones.
fn set_udp_checksum(u: &mut udp::Packet<&mut [u8]>, l3: L3, new: u16) {
    if l3 == L3::Ipv4 && u.checksum() == 0 {
        return;
    }
    u.set_checksum(if new == 0 { 0xffff } else { new });
}

fn set_sctp(set: &PortsSet, data: &mut [u8]) -> Result<(), SetError> {
    let layers = Layers::of(data).ok_or(SetError::NoSuchHeader)?;
    match layers.l4 {
        Some((l4_at, nxm_fields::prereq::IPPROTO_SCTP)) => {
            let sctp = data
                .get_mut(l4_at..layers.l3_end)
                .ok_or(SetError::NoSuchHeader)?;
            super::sctp::set_ports(set, sctp)
        }
        _ => Err(SetError::NoSuchHeader),
    }
}

fn set_ports(set: &PortsSet, proto: u8, data: &mut [u8]) -> Result<(), SetError> {
    let layers = Layers::of(data).ok_or(SetError::NoSuchHeader)?;
    let (l4_at, found) = layers.l4.ok_or(SetError::NoSuchHeader)?;
    if found != proto {
        return Err(SetError::NoSuchHeader);
    }
    let l4 = data.get_mut(l4_at..).ok_or(SetError::NoSuchHeader)?;
    if proto == ip_proto::TCP {
        let mut t = tcp::Packet::new_checked(l4).map_err(|_| SetError::NoSuchHeader)?;
        let (src, dst) = (masked(set.src, t.src_port()), masked(set.dst, t.dst_port()));
        let check = update_u16(t.checksum(), t.src_port(), src);
        let check = update_u16(check, t.dst_port(), dst);
        t.set_src_port(src);
        t.set_dst_port(dst);
        t.set_checksum(check);
    } else {
        let mut u = udp::Packet::new_checked(l4).map_err(|_| SetError::NoSuchHeader)?;
        let (src, dst) = (masked(set.src, u.src_port()), masked(set.dst, u.dst_port()));
        let check = update_u16(u.checksum(), u.src_port(), src);
        let check = update_u16(check, u.dst_port(), dst);
        u.set_src_port(src);
        u.set_dst_port(dst);
        set_udp_checksum(&mut u, layers.l3, check);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn udp_frame(udp_check: bool) -> Vec<u8> {
        let mut f = vec![0x50, 0x54, 0, 0, 0, 2, 0x50, 0x54, 0, 0, 0, 1, 0x08, 0x00];
        let payload = [1u8, 2, 3, 4, 5];
        let total = (20 + 8 + payload.len()) as u16;
        let mut ip = vec![0x45, 0x00];
        ip.extend_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2]);
        let mut u = vec![0x04, 0xd2, 0x00, 0x35, 0, 13, 0, 0];
        u.extend_from_slice(&payload);
        if udp_check {
            let mut view = udp::Packet::new_unchecked(&mut u[..]);
            view.fill_checksum(&[10, 1, 1, 1], &[10, 1, 1, 2]);
        }
        ipv4::Packet::new_unchecked(&mut ip[..]).fill_checksum();
        f.extend_from_slice(&ip);
        f.extend_from_slice(&u);
        f
    }

    fn tcp_frame() -> Vec<u8> {
        let mut f = vec![0x50, 0x54, 0, 0, 0, 2, 0x50, 0x54, 0, 0, 0, 1, 0x08, 0x00];
        let mut ip = vec![
            0x45, 0x10, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2,
        ];
        let mut t = vec![0x04, 0xd2, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0];
        t.extend_from_slice(&[0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, 9, 9, 9, 9]);
        tcp::Packet::new_unchecked(&mut t[..]).fill_checksum(&[10, 1, 1, 1], &[10, 1, 1, 2]);
        ipv4::Packet::new_unchecked(&mut ip[..]).fill_checksum();
        f.extend_from_slice(&ip);
        f.extend_from_slice(&t);
        f
    }

    /// Whether the IPv4 header and TCP/UDP checksums of `frame` are right.
    pub(crate) fn checksums_ok(frame: &[u8]) -> bool {
        let Some(l) = Layers::of(frame) else {
            return false;
        };
        let Ok(ip) = ipv4::Packet::new_checked(&frame[l.l3_at..]) else {
            return false;
        };
        let (src, dst) = (ip.src_bytes(), ip.dst_bytes());
        let l4 = &frame[l.l4.map_or(0, |(at, _)| at)..];
        ip.verify_checksum()
            && match l.l4 {
                Some((_, ip_proto::TCP)) => {
                    tcp::Packet::new_checked(l4).is_ok_and(|t| t.verify_checksum(&src, &dst))
                }
                Some((_, ip_proto::UDP)) => udp::Packet::new_checked(l4)
                    .is_ok_and(|u| u.checksum() == 0 || u.verify_checksum(&src, &dst)),
                _ => true,
            }
    }

    #[test]
    fn masked_ipv4_source_rewrite_keeps_every_checksum_right() {
        let mut f = tcp_frame();
        assert!(checksums_ok(&f));
        let set = SetAction::Ipv4(Ipv4Set {
            src: Masked {
                value: 0xc0a8_0700,
                mask: 0xffff_ff00,
            },
            ttl: Masked {
                value: 3,
                mask: 0xff,
            },
            tos: Masked {
                value: 0x04,
                mask: 0xfc,
            },
            ..Ipv4Set::default()
        });
        apply(&set, &mut f).unwrap();
        let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(ip.src_bytes(), [192, 168, 7, 1], "host bits kept");
        assert_eq!(ip.ttl(), 3);
        assert_eq!(ip.dscp_ecn(), 0x04, "ECN bits outside the mask kept");
        assert!(checksums_ok(&f));
    }

    #[test]
    fn port_rewrites_fix_tcp_and_udp_checksums() {
        let mut f = tcp_frame();
        let ports = PortsSet {
            dst: Masked {
                value: 8080,
                mask: 0xffff,
            },
            ..PortsSet::default()
        };
        apply(&SetAction::Tcp(ports), &mut f).unwrap();
        assert_eq!(be16(&f, 34 + 2), 8080);
        assert!(checksums_ok(&f));
        let mut u = udp_frame(true);
        apply(&SetAction::Udp(ports), &mut u).unwrap();
        apply(
            &SetAction::Ipv4(Ipv4Set {
                dst: Masked {
                    value: 0x0808_0808,
                    mask: u32::MAX,
                },
                ..Ipv4Set::default()
            }),
            &mut u,
        )
        .unwrap();
        assert!(checksums_ok(&u));
        assert_eq!(be16(&u, 34 + 2), 8080);
    }

    #[test]
    fn a_udp_packet_without_checksum_keeps_none() {
        let mut u = udp_frame(false);
        let set = SetAction::Ipv4(Ipv4Set {
            src: Masked {
                value: 0x0102_0304,
                mask: u32::MAX,
            },
            ..Ipv4Set::default()
        });
        apply(&set, &mut u).unwrap();
        assert_eq!(be16(&u, 34 + 6), 0);
        assert!(checksums_ok(&u));
    }

    #[test]
    fn a_set_on_a_missing_header_changes_nothing() {
        let mut f = udp_frame(true);
        let before = f.clone();
        let set = SetAction::Tcp(PortsSet {
            src: Masked {
                value: 1,
                mask: 0xffff,
            },
            ..PortsSet::default()
        });
        assert_eq!(apply(&set, &mut f), Err(SetError::NoSuchHeader));
        assert_eq!(f, before);
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        let v4 = SetAction::Ipv4(Ipv4Set::default());
        assert_eq!(apply(&v4, &mut arp), Err(SetError::NoSuchHeader));
    }

    #[test]
    fn eth_addresses_are_rewritten_under_their_mask() {
        let mut f = udp_frame(true);
        let set = SetAction::Eth(EthSet {
            src: Masked {
                value: 0xaabb_cc00_0000,
                mask: 0xffff_ff00_0000,
            },
            ..EthSet::default()
        });
        apply(&set, &mut f).unwrap();
        assert_eq!(&f[6..12], &[0xaa, 0xbb, 0xcc, 0, 0, 1]);
        assert_eq!(&f[0..6], &[0x50, 0x54, 0, 0, 0, 2]);
    }

    #[test]
    fn ipv6_address_rewrite_fixes_the_udp_checksum() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x86, 0xdd]);
        let src = [0xfeu8, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let dst = [0xfeu8, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let mut ip = vec![0x60, 0, 0, 0, 0, 12, 17, 64];
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let mut u = vec![0, 1, 0, 2, 0, 12, 0, 0, 7, 7, 7, 7];
        udp::Packet::new_unchecked(&mut u[..]).fill_checksum(&src, &dst);
        f.extend_from_slice(&ip);
        f.extend_from_slice(&u);
        let set = SetAction::Ipv6(Ipv6Set {
            src: Masked {
                value: 0x2001_0db8 << 96 | 5,
                mask: u128::MAX,
            },
            hlimit: Masked {
                value: 9,
                mask: 0xff,
            },
            tclass: Masked {
                value: 0xb8,
                mask: 0xff,
            },
            ..Ipv6Set::default()
        });
        apply(&set, &mut f).unwrap();
        let ip = ipv6::Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(ip.hop_limit(), 9);
        assert_eq!(ip.traffic_class(), 0xb8);
        assert_eq!(ip.flow_label(), 0);
        let u = udp::Packet::new_checked(&f[54..]).unwrap();
        assert!(u.verify_checksum(&ip.src_bytes(), &ip.dst_bytes()));
    }

    #[test]
    fn icmp_type_and_code_are_rewritten_with_the_checksum() {
        let mut f = vec![0x50, 0x54, 0, 0, 0, 2, 0x50, 0x54, 0, 0, 0, 1, 0x08, 0x00];
        let mut ip = vec![
            0x45, 0, 0, 32, 0, 1, 0, 0, 64, 1, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2,
        ];
        ipv4::Packet::new_unchecked(&mut ip[..]).fill_checksum();
        let mut icmp = vec![8u8, 0, 0, 0, 0, 7, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd];
        let check = conntrack::wire::checksum::checksum(&icmp);
        icmp[2..4].copy_from_slice(&check.to_be_bytes());
        f.extend(ip);
        f.extend(icmp);
        let set = SetAction::Icmp(IcmpSet {
            icmp_type: Masked {
                value: 0,
                mask: 0xff,
            },
            code: Masked {
                value: 7,
                mask: 0xff,
            },
        });
        assert_eq!(apply(&set, &mut f), Ok(()));
        assert_eq!(f[34..36], [0, 7]);
        assert_eq!(conntrack::wire::checksum::checksum(&f[34..]), 0);
        // Not ICMPv6: nothing happens.
        let v6 = SetAction::Icmpv6(IcmpSet {
            icmp_type: Masked {
                value: 1,
                mask: 0xff,
            },
            code: Masked {
                value: 1,
                mask: 0xff,
            },
        });
        assert_eq!(apply(&v6, &mut f), Err(SetError::NoSuchHeader));
    }

    #[test]
    fn arp_fields_are_rewritten_under_their_masks() {
        let mut f = vec![0xff; 6];
        f.extend([0x50, 0x54, 0, 0, 0, 1, 0x08, 0x06]);
        f.extend([0, 1, 8, 0, 6, 4, 0, 1]);
        f.extend([0x50, 0x54, 0, 0, 0, 1, 10, 0, 0, 1]);
        f.extend([0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        let set = SetAction::Arp(ArpSet {
            sip: Masked {
                value: 0x0a00_0002,
                mask: u32::MAX,
            },
            tip: Masked { value: 0, mask: 0 },
            op: Masked {
                value: 2,
                mask: u16::MAX,
            },
            sha: Masked {
                value: 0x0102_0304_0506,
                mask: 0xffff_ffff_ffff,
            },
            tha: Masked { value: 0, mask: 0 },
        });
        assert_eq!(apply(&set, &mut f), Ok(()));
        assert_eq!(f[20..22], [0, 2]);
        assert_eq!(f[22..28], [1, 2, 3, 4, 5, 6]);
        assert_eq!(f[28..32], [10, 0, 0, 2]);
        assert_eq!(f[38..42], [10, 0, 0, 2]);
        // Too short to be ARP: nothing happens.
        let mut short = f[..30].to_vec();
        assert_eq!(apply(&set, &mut short), Err(SetError::NoSuchHeader));
    }
}
