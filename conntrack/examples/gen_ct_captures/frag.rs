//! Fragmented UDP (tests/captures/frag/), the frames the fragment
//! scenarios (tests/scenarios/frag*.scn) inject. Every fragment but the
//! last is at least OVS's default minimum size (1200 bytes for IPv4,
//! 1280 for IPv6, IP header included), so the reassembler takes it.

use std::net::IpAddr;
use std::path::Path;

use conntrack::wire::{compose, icmpv6, ip_proto, ipv4};

use crate::frame::{ether, udp_frame, Pcap, Result};

/// Where a datagram is cut: byte ranges of its IP payload (starts are
/// multiples of 8).
type Cuts = [(usize, usize)];

/// The IPv4 fragments of a UDP datagram of `len` payload bytes, in
/// `cuts`' order, identification `ident`.
fn v4_fragments(
    src: &str,
    dst: &str,
    ports: (u16, u16),
    len: usize,
    ident: u16,
    cuts: &Cuts,
) -> Result<Vec<Vec<u8>>> {
    let (s, d): (IpAddr, IpAddr) = (src.parse()?, dst.parse()?);
    let whole = compose::udp_packet(s, d, ports.0, ports.1, len)?;
    let l4 = whole.get(20..).ok_or("short datagram")?;
    cuts.iter()
        .map(|&(from, to)| {
            let data = l4.get(from..to).ok_or("cut past the datagram")?;
            let ip = compose::ipv4_fragment(
                s,
                d,
                ip_proto::UDP,
                ident,
                u16::try_from(from)?,
                to < l4.len(),
                data,
            )?;
            ether(src, ip)
        })
        .collect()
}

/// An IPv6 hop-by-hop options header holding only padding (PadN), next
/// header: fragment.
const HOP_BY_HOP: [u8; 8] = [44, 0, 1, 4, 0, 0, 0, 0];

/// The IPv6 fragments of a UDP datagram of `len` payload bytes, in
/// `cuts`' order, identification `ident`; with `hop_by_hop`, a hop-by-hop
/// header comes before each fragment header (the unfragmentable part).
fn v6_fragments(
    src: &str,
    dst: &str,
    ports: (u16, u16),
    len: usize,
    ident: u32,
    cuts: &Cuts,
    hop_by_hop: bool,
) -> Result<Vec<Vec<u8>>> {
    let whole = compose::udp_packet(src.parse()?, dst.parse()?, ports.0, ports.1, len)?;
    v6_cut(src, dst, &whole, ident, cuts, hop_by_hop)
}

/// The IPv6 fragments of `whole` (an IPv6 packet without extension
/// headers), as [`v6_fragments`] cuts them.
fn v6_cut(
    src: &str,
    dst: &str,
    whole: &[u8],
    ident: u32,
    cuts: &Cuts,
    hop_by_hop: bool,
) -> Result<Vec<Vec<u8>>> {
    let (s, d): (IpAddr, IpAddr) = (src.parse()?, dst.parse()?);
    let proto = *whole.get(6).ok_or("short datagram")?;
    let l4 = whole.get(40..).ok_or("short datagram")?;
    cuts.iter()
        .map(|&(from, to)| {
            let data = l4.get(from..to).ok_or("cut past the datagram")?;
            let more = u16::from(to < l4.len());
            let mut ext = Vec::new();
            if hop_by_hop {
                ext.extend_from_slice(&HOP_BY_HOP);
            }
            ext.extend_from_slice(&[proto, 0]);
            ext.extend_from_slice(&(u16::try_from(from)? | more).to_be_bytes());
            ext.extend_from_slice(&ident.to_be_bytes());
            ext.extend_from_slice(data);
            let first = if hop_by_hop { 0 } else { 44 };
            ether(src, compose::ip_packet(s, d, first, &ext)?)
        })
        .collect()
}

/// IPv4 cuts of a 3000-byte UDP payload (3008 bytes of IP payload).
const V4_CUTS: [(usize, usize); 3] = [(0, 1480), (1480, 2960), (2960, 3008)];
/// IPv6 cuts of the same.
const V6_CUTS: [(usize, usize); 3] = [(0, 1448), (1448, 2896), (2896, 3008)];

fn capture(frames: &[Vec<u8>]) -> Result<Pcap> {
    let mut p = Pcap::new();
    for f in frames {
        p.push(f)?;
    }
    Ok(p)
}

/// Through `nat(src=SNAT:5000-5000)`: the client's datagram in three
/// fragments in order, then the server's unfragmented answer to the NAT
/// address.
fn snat(v6: bool) -> Result<Pcap> {
    let (a, b, s) = if v6 {
        ("fd00::1", "fd00::2", "fd00::100")
    } else {
        ("10.1.1.1", "10.1.1.2", "192.168.0.10")
    };
    let mut frames = if v6 {
        v6_fragments(a, b, (3000, 4000), 3000, 0xabcd, &V6_CUTS, false)?
    } else {
        v4_fragments(a, b, (3000, 4000), 3000, 0x1234, &V4_CUTS)?
    };
    frames.push(udp_frame(b, 4000, s, 5000)?);
    capture(&frames)
}

/// Through `nat(src=[fd00::100])`: an ICMPv6 echo request of 3000 bytes
/// in three fragments (the translated source changes the checksum in the
/// first one), then the unfragmented reply to the NAT address.
fn v6_echo_snat() -> Result<Pcap> {
    let (a, b, s) = ("fd00::1", "fd00::2", "fd00::100");
    let data: Vec<u8> = (0..3000).map(|i| i as u8).collect();
    let request = icmp_packet(a, b, icmpv6::types::ECHO_REQUEST, 21, &data)?;
    let cuts = [(0, 1448), (1448, 2896), (2896, 8 + data.len())];
    let mut frames = v6_cut(a, b, &request, 0x77, &cuts, false)?;
    let reply = icmp_packet(b, s, icmpv6::types::ECHO_REPLY, 21, &data[..16])?;
    frames.push(ether(b, reply)?);
    capture(&frames)
}

fn icmp_packet(src: &str, dst: &str, msg_type: u8, ident: u16, data: &[u8]) -> Result<Vec<u8>> {
    Ok(compose::icmp_packet(
        src.parse()?,
        dst.parse()?,
        msg_type,
        0,
        ident,
        data,
    )?)
}

/// The first fragment, one that overlaps its end, then the rest.
fn overlap(v6: bool) -> Result<Pcap> {
    let cuts = if v6 { V6_CUTS } else { V4_CUTS };
    let [first, second, last] = cuts;
    let overlapping = (first.1 - 80, second.1 - 80);
    let order = [first, overlapping, second, last];
    let frames = if v6 {
        v6_fragments("fd00::1", "fd00::2", (3000, 4000), 3000, 7, &order, false)?
    } else {
        v4_fragments("10.1.1.1", "10.1.1.2", (3000, 4000), 3000, 7, &order)?
    };
    capture(&frames)
}

/// The middle fragment, then a last fragment that starts before it and
/// ends after it (covering it: neither of its ends inside a held
/// fragment), then the first fragment (whose end is inside that one).
fn covering() -> Result<Pcap> {
    let [first, second, last] = V4_CUTS;
    let cover = (second.0 - 80, last.1);
    let order = [second, cover, first];
    capture(&v4_fragments(
        "10.1.1.1",
        "10.1.1.2",
        (3000, 4000),
        3000,
        8,
        &order,
    )?)
}

/// IPv6 fragments, last first, behind a hop-by-hop header with
/// `hop_by_hop`.
fn v6_out_of_order(hop_by_hop: bool) -> Result<Pcap> {
    let [first, second, last] = V6_CUTS;
    let frames = v6_fragments(
        "fd00::1",
        "fd00::2",
        (3000, 4000),
        3000,
        9,
        &[last, second, first],
        hop_by_hop,
    )?;
    capture(&frames)
}

/// Fragments whose own headers differ: the second comes from another
/// MAC, with TTL 63 and TOS 0x10; after `ct` each must keep its own.
fn own_headers() -> Result<Pcap> {
    let mut frames = v4_fragments(
        "10.1.1.1",
        "10.1.1.2",
        (3000, 4000),
        3000,
        0x55,
        &V4_CUTS[..],
    )?;
    let second = frames.get_mut(1).ok_or("no second fragment")?;
    let mac_c = [0x50, 0x54, 0x00, 0x00, 0x00, 0x03];
    second.splice(6..12, mac_c);
    let ip = second.get_mut(14..).ok_or("short fragment")?;
    // TOS and TTL: bytes 1 and 8 of the IPv4 header.
    ip[1] = 0x10;
    ip[8] = 63;
    ipv4::Packet::new_checked(ip)?.fill_checksum();
    capture(&frames)
}

/// A first fragment whose datagram never completes, then, 16 s later
/// (past the 15 s list timeout), a whole datagram through the same `ct`.
fn timeout(v6: bool) -> Result<Pcap> {
    let (a, b) = if v6 {
        ("fd00::1", "fd00::2")
    } else {
        ("10.1.1.1", "10.1.1.2")
    };
    let first = if v6 {
        v6_fragments(a, b, (3000, 4000), 3000, 11, &V6_CUTS[..1], false)?
    } else {
        v4_fragments(a, b, (3000, 4000), 3000, 11, &V4_CUTS[..1])?
    };
    let mut p = capture(&first)?;
    p.wait(16_000);
    p.push(&udp_frame(a, 3001, b, 4001)?)?;
    Ok(p)
}

pub fn write(dir: &Path) -> Result<()> {
    snat(false)?.write(dir, "frag4-snat.pcap")?;
    snat(true)?.write(dir, "frag6-snat.pcap")?;
    v6_echo_snat()?.write(dir, "frag6-icmp-snat.pcap")?;
    overlap(false)?.write(dir, "frag4-overlap.pcap")?;
    overlap(true)?.write(dir, "frag6-overlap.pcap")?;
    covering()?.write(dir, "frag4-covering.pcap")?;
    v6_out_of_order(false)?.write(dir, "frag6-out-of-order.pcap")?;
    v6_out_of_order(true)?.write(dir, "frag6-ext-out-of-order.pcap")?;
    own_headers()?.write(dir, "frag4-own-headers.pcap")?;
    timeout(false)?.write(dir, "frag4-timeout.pcap")?;
    timeout(true)?.write(dir, "frag6-timeout.pcap")?;
    Ok(())
}
