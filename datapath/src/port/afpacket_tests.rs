//! The `afpacket` port on a real veth pair (needs root, as the suite does):
//! each test makes its own pair, named after the process and the test,
//! and deletes it when done, even on failure.

use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

/// A veth pair in this namespace, deleted on drop.
struct Veth {
    a: String,
    b: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ip {args:?}: {e} (these tests need iproute2 and root)"));
    assert!(
        out.status.success(),
        "ip {args:?}: {} (these tests need root)",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Veth {
    fn new(tag: &str, mtu: u32) -> Veth {
        let pid = std::process::id();
        let veth = Veth {
            a: format!("ctdp{pid}{tag}a"),
            b: format!("ctdp{pid}{tag}b"),
        };
        let mtu = mtu.to_string();
        ip(&[
            "link", "add", &veth.a, "mtu", &mtu, "type", "veth", "peer", "name", &veth.b, "mtu",
            &mtu,
        ]);
        for end in [&veth.a, &veth.b] {
            // No IPv6 chatter (router solicitations, MLD) on the test link.
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{end}/disable_ipv6"), "1");
            ip(&["link", "set", end, "up"]);
        }
        // A veth drops what it is given until both ends are running.
        let deadline = Instant::now() + Duration::from_secs(3);
        let up = |end: &str| {
            std::fs::read_to_string(format!("/sys/class/net/{end}/operstate"))
                .is_ok_and(|s| s.trim() == "up")
        };
        while !(up(&veth.a) && up(&veth.b)) {
            assert!(Instant::now() < deadline, "{} never came up", veth.a);
            std::thread::sleep(Duration::from_millis(10));
        }
        veth
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.a]).output();
    }
}

/// An Ethernet frame of `len` bytes with `marker` in its payload.
fn frame(len: usize, marker: u8) -> Vec<u8> {
    let mut f = vec![marker; len];
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 2]);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&0x88b5u16.to_be_bytes()); // local experimental
    f
}

/// Frames carrying `marker` that `port` receives within a second.
fn receive_marked(port: &AfPacketPort, marker: u8, want: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        let mut batch = Vec::new();
        port.receive(&mut batch, 32);
        got.extend(
            batch
                .into_iter()
                .map(|f| f.data)
                .filter(|f| f.last() == Some(&marker)),
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    got
}

/// Both ways a port can move frames: through the socket's rings (what
/// `open` gives on this kernel) and with batched system calls (what an
/// older kernel, or one short of memory for the rings, gets).
const RINGS: [bool; 2] = [true, false];

/// A port on `name` with or without rings, checked to have what it asked.
fn open(name: &str, queues: usize, rings: bool) -> AfPacketPort {
    let port = AfPacketPort::open_with(name, queues, rings).unwrap();
    assert_eq!(port.uses_rings(), rings, "{name}");
    port
}

#[test]
fn the_port_uses_rings_when_the_kernel_has_them() {
    let veth = Veth::new("r", 1500);
    assert!(AfPacketPort::open(&veth.a).unwrap().uses_rings());
    assert!(AfPacketPort::open_queues(&veth.b, 3).unwrap().uses_rings());
}

#[test]
fn frames_cross_a_veth_in_batches_and_are_not_looped_back() {
    for rings in RINGS {
        cross_a_veth(rings);
    }
}

fn cross_a_veth(rings: bool) {
    let veth = Veth::new(if rings { "x" } else { "xs" }, 1500);
    let a = open(&veth.a, 1, rings);
    let b = open(&veth.b, 1, rings);
    assert_eq!(a.mtu(), 1500);
    for i in 0..40 {
        a.transmit(&frame(60 + i, 0xa5));
    }
    a.flush();
    let got = receive_marked(&b, 0xa5, 40);
    assert_eq!(got.len(), 40);
    assert_eq!(got[0], frame(60, 0xa5));
    assert_eq!(got[39], frame(99, 0xa5));
    assert_eq!(a.stats().tx_packets, 40);
    assert!(b.stats().rx_packets >= 40);
    assert!(
        receive_marked(&a, 0xa5, 1).is_empty(),
        "own frames came back"
    );
}

#[test]
fn frames_the_kernel_dropped_count_as_receive_drops() {
    for rings in RINGS {
        kernel_drops(rings);
    }
}

fn kernel_drops(rings: bool) {
    let veth = Veth::new(if rings { "k" } else { "ks" }, 1500);
    let a = open(&veth.a, 1, rings);
    let b = open(&veth.b, 1, rings);
    // Far more than the socket's receive queue (or ring) holds, never read.
    let big = frame(1500, 0x3c);
    for _ in 0..300 {
        for _ in 0..64 {
            a.transmit(&big);
        }
        a.flush();
    }
    // The port's transmit thread sends the ring's last frames on its own
    // time: wait until every frame is sent or dropped.
    let done = |s: PortStats| s.tx_packets + s.tx_dropped == 300 * 64;
    for _ in 0..5000 {
        if done(a.stats()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let sent = a.stats().tx_packets;
    assert!(done(a.stats()), "{sent} sent");
    let dropped = b.stats().rx_dropped;
    assert!(dropped > 0, "{sent} sent, none dropped");
    assert_eq!(b.stats().rx_dropped, dropped, "drops are counted once");
}

/// An Ethernet + IPv4 + TCP segment with `payload` bytes of `marker`
/// and a valid checksum.
fn tcp_segment(payload: usize, marker: u8) -> Vec<u8> {
    let mut tcp = frame(14 + 20 + 20 + payload, marker);
    tcp[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let total = (tcp.len() - 14) as u16;
    tcp[14..34].copy_from_slice(&[
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    tcp[16..18].copy_from_slice(&total.to_be_bytes());
    let ip_sum = conntrack::wire::checksum::checksum(&tcp[14..34]);
    tcp[24..26].copy_from_slice(&ip_sum.to_be_bytes());
    tcp[34..54].copy_from_slice(&[0; 20]);
    tcp[46] = 5 << 4;
    tcp[47] = 0x10; // ACK
    let acc = conntrack::wire::checksum::pseudo_header(
        &tcp[26..30],
        &tcp[30..34],
        6,
        (tcp.len() - 34) as u32,
    );
    let sum =
        !conntrack::wire::checksum::fold(conntrack::wire::checksum::accumulate(acc, &tcp[34..]));
    tcp[50..52].copy_from_slice(&sum.to_be_bytes());
    tcp
}

#[test]
fn frames_over_the_mtu_are_dropped_unless_tcp_the_kernel_can_cut() {
    for rings in RINGS {
        over_the_mtu(rings);
    }
}

fn over_the_mtu(rings: bool) {
    let veth = Veth::new(if rings { "m" } else { "ms" }, 1400);
    let a = open(&veth.a, 1, rings);
    let b = open(&veth.b, 1, rings);
    a.transmit(&frame(1414, 0x5a));
    a.transmit(&frame(1415, 0x5a));
    a.flush();
    assert_eq!(receive_marked(&b, 0x5a, 2).len(), 1);
    assert_eq!(a.stats().tx_dropped, 1);

    // A 6000-byte TCP segment leaves as a super-frame and arrives with a
    // checksum that is valid over the whole of it.
    let tcp = tcp_segment(6000, 0x77);
    a.transmit(&tcp);
    a.flush();
    let got = receive_marked(&b, 0x77, 1);
    assert_eq!(a.stats().tx_dropped, 1, "the TCP super-frame was sent");
    assert_eq!(got.len(), 1, "the super-frame arrived whole");
    assert_eq!(got[0], tcp);

    // Frames before and after a super-frame (which does not go through
    // the transmit ring, nor arrive through the receive ring) keep their
    // order.
    for len in [60, 61] {
        a.transmit(&frame(len, 0x77));
    }
    a.transmit(&tcp);
    a.transmit(&frame(62, 0x77));
    a.flush();
    let lens: Vec<usize> = receive_marked(&b, 0x77, 4).iter().map(Vec::len).collect();
    assert_eq!(lens, [60, 61, tcp.len(), 62]);
}

#[test]
fn a_missing_interface_is_an_error() {
    let err = AfPacketPort::open("ctdp-no-such").unwrap_err();
    assert!(err.to_string().contains("ctdp-no-such"), "{err}");
    assert!(AfPacketPort::open("a/b").is_err());
    assert!(super::super::afpacket_socket::interface_index("a\0b").is_err());
}

/// A UDP datagram between 10.0.0.1:`sport` and 10.0.0.2:`dport`, or back
/// when `reply`, with `marker` as its last byte.
fn udp(sport: u16, dport: u16, reply: bool, marker: u8) -> Vec<u8> {
    let mut f = frame(14 + 20 + 8 + 4, marker);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let (src, dst, sp, dp) = if reply {
        ([10, 0, 0, 2], [10, 0, 0, 1], dport, sport)
    } else {
        ([10, 0, 0, 1], [10, 0, 0, 2], sport, dport)
    };
    f[14..34].copy_from_slice(&[
        0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, src[0], src[1], src[2], src[3], dst[0],
        dst[1], dst[2], dst[3],
    ]);
    let ip_sum = conntrack::wire::checksum::checksum(&f[14..34]);
    f[24..26].copy_from_slice(&ip_sum.to_be_bytes());
    f[34..36].copy_from_slice(&sp.to_be_bytes());
    f[36..38].copy_from_slice(&dp.to_be_bytes());
    f[38..40].copy_from_slice(&12u16.to_be_bytes());
    f[40..42].copy_from_slice(&[0, 0]); // no UDP checksum
    f
}

/// For each of `port`'s queues, the ports at byte `at` (34: source, 36:
/// destination) of the marked datagrams it received within a second
/// (until `want` in all).
fn receive_by_queue(port: &AfPacketPort, marker: u8, at: usize, want: usize) -> Vec<Vec<u16>> {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut got = vec![Vec::new(); port.rx_queues()];
    while got.iter().map(Vec::len).sum::<usize>() < want && Instant::now() < deadline {
        for (queue, seen) in got.iter_mut().enumerate() {
            let mut batch = Vec::new();
            port.receive_queue(queue, &mut batch, 32);
            seen.extend(
                batch
                    .iter()
                    .map(|f| &f.data)
                    .filter(|f| f.last() == Some(&marker))
                    .map(|f| u16::from_be_bytes([f[at], f[at + 1]])),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    got
}

#[test]
fn queues_spread_flows_and_keep_each_flow_both_ways_on_one_queue() {
    for rings in RINGS {
        spread_flows(rings);
    }
}

fn spread_flows(rings: bool) {
    let veth = Veth::new(if rings { "q" } else { "qs" }, 1500);
    let a = open(&veth.a, 2, rings);
    let b = open(&veth.b, 2, rings);
    assert_eq!((a.rx_queues(), b.rx_queues()), (2, 2));
    const FLOWS: u16 = 24;
    // Each flow three times, interleaved.
    for _ in 0..3 {
        for flow in 0..FLOWS {
            a.transmit(&udp(20_000 + flow, 53, false, 0x61));
        }
        a.flush();
    }
    let forward = receive_by_queue(&b, 0x61, 34, 3 * usize::from(FLOWS));
    let queue_of = |seen: &[Vec<u16>], port: u16| {
        let queues: Vec<usize> = (0..seen.len())
            .filter(|&q| seen[q].contains(&port))
            .collect();
        assert_eq!(queues.len(), 1, "port {port} on queues {queues:?}");
        assert_eq!(
            seen[queues[0]].iter().filter(|&&p| p == port).count(),
            3,
            "port {port}"
        );
        queues[0]
    };
    let forward_queues: Vec<usize> = (0..FLOWS)
        .map(|flow| queue_of(&forward, 20_000 + flow))
        .collect();
    assert!(
        forward_queues.contains(&0) && forward_queues.contains(&1),
        "{FLOWS} flows all on one queue: {forward_queues:?}"
    );

    // The replies come to the same queue index on the other port.
    for _ in 0..3 {
        for flow in 0..FLOWS {
            b.transmit(&udp(20_000 + flow, 53, true, 0x62));
        }
        b.flush();
    }
    // A reply's client port is its destination.
    let back = receive_by_queue(&a, 0x62, 36, 3 * usize::from(FLOWS));
    let back_queues: Vec<usize> = (0..FLOWS)
        .map(|flow| queue_of(&back, 20_000 + flow))
        .collect();
    assert_eq!(back_queues, forward_queues);

    // What a port with several queues sends, super-frames included (which
    // come whole through the socket, not the ring), does not come back.
    a.transmit(&tcp_segment(6000, 0x63));
    a.transmit(&udp(1, 2, false, 0x63));
    a.flush();
    assert_eq!(receive_by_queue(&b, 0x63, 34, 2).concat().len(), 2);
    assert!(receive_by_queue(&a, 0x63, 34, 1).concat().is_empty());
}
