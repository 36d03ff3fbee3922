//! Captures for NAT (tests/captures/nat/): each is replayed through one
//! `ct(commit,nat(SPEC))`, SPEC named in the test that replays it. Replies
//! and ICMP errors are addressed as the far side sees the connection, so
//! they are built with the translation the spec forces (one address, one
//! port).

use std::path::Path;

use conntrack::wire::{icmpv4, icmpv6, tcp};

use crate::frame::{icmp_frame, tcp_frame, udp_frame, Pcap, Result};

use tcp::flags::{ACK, SYN};

/// What an ICMP error quotes of `frame` (Ethernet, then IP): the IP
/// header and the first 8 bytes after it.
fn quote(frame: &[u8], ip_header_len: usize) -> Result<&[u8]> {
    Ok(frame
        .get(14..14 + ip_header_len + 8)
        .ok_or("frame too short to quote")?)
}

/// The names one address family gives the parties: client, second and
/// third clients, server, a router on the way, the SNAT address, the
/// DNAT virtual address, and the ICMP types used.
struct Net {
    a: &'static str,
    a2: &'static str,
    a3: &'static str,
    b: &'static str,
    router: &'static str,
    snat: &'static str,
    vip: &'static str,
    ip_header: usize,
    echo_request: u8,
    echo_reply: u8,
    unreachable: u8,
    port_unreachable: u8,
    time_exceeded: u8,
    /// An error a router sends about a TCP segment: fragmentation needed
    /// (IPv4), packet too big (IPv6).
    too_big: (u8, u8),
}

const V4: Net = Net {
    a: "10.1.1.1",
    a2: "10.1.2.1",
    a3: "10.1.3.1",
    b: "10.1.1.2",
    router: "10.1.1.254",
    snat: "192.168.0.10",
    vip: "10.9.9.9",
    ip_header: 20,
    echo_request: icmpv4::types::ECHO_REQUEST,
    echo_reply: icmpv4::types::ECHO_REPLY,
    unreachable: icmpv4::types::DST_UNREACHABLE,
    port_unreachable: 3,
    time_exceeded: icmpv4::types::TIME_EXCEEDED,
    too_big: (icmpv4::types::DST_UNREACHABLE, 4),
};

const V6: Net = Net {
    a: "fd00::1",
    a2: "fd00::2:1",
    a3: "fd00::3:1",
    b: "fd00::2",
    router: "fd00::fe",
    snat: "fd00::100",
    vip: "fd00::99",
    ip_header: 40,
    echo_request: icmpv6::types::ECHO_REQUEST,
    echo_reply: icmpv6::types::ECHO_REPLY,
    unreachable: icmpv6::types::DST_UNREACHABLE,
    port_unreachable: 4,
    time_exceeded: icmpv6::types::TIME_EXCEEDED,
    too_big: (icmpv6::types::PACKET_TOO_BIG, 0),
};

/// The port `src=SNAT:5000-5000` and `dst=B:8080` force.
const NAT_PORT: u16 = 5000;
const DNAT_PORT: u16 = 8080;

/// SNAT to `snat:5000`: a TCP handshake, a UDP exchange, an ICMP echo,
/// then two errors about NATed connections sent to the NAT address (the
/// server's port unreachable about the UDP one, a router's "too big"
/// about the TCP one), one from the client's side about the reply, and a
/// router's time exceeded about the echo request.
fn snat(n: &Net) -> Result<Pcap> {
    let (a, b, s) = (n.a, n.b, n.snat);
    let mut p = Pcap::new();
    p.push(&tcp_frame(a, 40000, b, 80, SYN, 1000, 0, 0)?)?;
    p.push(&tcp_frame(b, 80, s, NAT_PORT, SYN | ACK, 5000, 1001, 0)?)?;
    p.push(&tcp_frame(a, 40000, b, 80, ACK, 1001, 5001, 0)?)?;
    p.push(&udp_frame(a, 4000, b, 53)?)?;
    p.push(&udp_frame(b, 53, s, NAT_PORT)?)?;
    p.push(&icmp_frame(a, b, n.echo_request, 0, 77, &[0; 16])?)?;
    p.push(&icmp_frame(b, s, n.echo_reply, 0, 77, &[0; 16])?)?;
    let seen = udp_frame(s, NAT_PORT, b, 53)?;
    p.push(&icmp_frame(
        b,
        s,
        n.unreachable,
        n.port_unreachable,
        0,
        quote(&seen, n.ip_header)?,
    )?)?;
    let segment = tcp_frame(s, NAT_PORT, b, 80, ACK, 1001, 5001, 0)?;
    let (too_big, code) = n.too_big;
    p.push(&icmp_frame(
        n.router,
        s,
        too_big,
        code,
        0,
        quote(&segment, n.ip_header)?,
    )?)?;
    p.push(&client_error_about_reply(n)?)?;
    // A router's time exceeded about the NATed echo request.
    let echo = icmp_frame(s, b, n.echo_request, 0, 77, &[0; 16])?;
    p.push(&icmp_frame(
        n.router,
        s,
        n.time_exceeded,
        0,
        0,
        quote(&echo, n.ip_header)?,
    )?)?;
    Ok(p)
}

/// The client's port unreachable about the UDP reply it got.
fn client_error_about_reply(n: &Net) -> Result<Vec<u8>> {
    let reply = udp_frame(n.b, 53, n.a, 4000)?;
    icmp_frame(
        n.a,
        n.b,
        n.unreachable,
        n.port_unreachable,
        0,
        quote(&reply, n.ip_header)?,
    )
}

/// DNAT of `vip:80` (and `vip:53`) to `b:8080`: a TCP handshake, a UDP
/// exchange, an echo (address only), then an error from each side: the
/// server's about the reply it sent, the client's about the reply it got.
fn dnat(n: &Net) -> Result<Pcap> {
    let (a, b, v) = (n.a, n.b, n.vip);
    let mut p = Pcap::new();
    p.push(&tcp_frame(a, 40000, v, 80, SYN, 1000, 0, 0)?)?;
    p.push(&tcp_frame(
        b,
        DNAT_PORT,
        a,
        40000,
        SYN | ACK,
        5000,
        1001,
        0,
    )?)?;
    p.push(&tcp_frame(a, 40000, v, 80, ACK, 1001, 5001, 0)?)?;
    p.push(&udp_frame(a, 4000, v, 53)?)?;
    p.push(&udp_frame(b, DNAT_PORT, a, 4000)?)?;
    p.push(&icmp_frame(a, v, n.echo_request, 0, 5, &[0; 16])?)?;
    p.push(&icmp_frame(b, a, n.echo_reply, 0, 5, &[0; 16])?)?;
    let got = udp_frame(v, 53, a, 4000)?;
    p.push(&icmp_frame(
        a,
        v,
        n.unreachable,
        n.port_unreachable,
        0,
        quote(&got, n.ip_header)?,
    )?)?;
    let seen = udp_frame(a, 4000, b, DNAT_PORT)?;
    p.push(&icmp_frame(
        b,
        a,
        n.unreachable,
        n.port_unreachable,
        0,
        quote(&seen, n.ip_header)?,
    )?)?;
    Ok(p)
}

/// Through a one-port SNAT range (the port Open vSwitch picks from a
/// wider range is random): two clients' UDP to one server, then two
/// clients' echoes with one id; the second datagram and the second echo
/// find no free tuple, and the third client's datagram none either.
fn exhaust(n: &Net) -> Result<Pcap> {
    let mut p = Pcap::new();
    for client in [n.a, n.a2, n.a3] {
        p.push(&udp_frame(client, 4000, n.b, 53)?)?;
    }
    for client in [n.a, n.a2] {
        p.push(&icmp_frame(client, n.b, n.echo_request, 0, 9, &[0; 16])?)?;
    }
    Ok(p)
}

pub fn write(dir: &Path) -> Result<()> {
    snat(&V4)?.write(dir, "snat4.pcap")?;
    snat(&V6)?.write(dir, "snat6.pcap")?;
    dnat(&V4)?.write(dir, "dnat4.pcap")?;
    dnat(&V6)?.write(dir, "dnat6.pcap")?;
    exhaust(&V4)?.write(dir, "exhaust4.pcap")?;
    exhaust(&V6)?.write(dir, "exhaust6.pcap")?;
    Ok(())
}
