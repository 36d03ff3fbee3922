//! Meters end to end, where ctswitch goes past OVS 3.1 (which refuses
//! DSCP remark bands with OFPMMFC_BAD_BAND): a `dscp_remark` meter added
//! and dumped with the real `ovs-ofctl`, packets over its rate leaving
//! with their DSCP's drop precedence raised; and a `kbps` drop band
//! holding a flood to its rate. Packets are counted against what the
//! meter's rate allows in the time the packets took, never timed.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::{stdout, Daemon};

/// What port `port` transmitted, one frame (bytes) each, emptied.
fn transmitted(d: &Daemon, port: &str) -> Vec<Vec<u8>> {
    stdout(d.ctswitch_ctl("port-tx", &[port, "--clear"]))
        .lines()
        .map(|l| {
            (0..l.len() / 2)
                .map(|i| u8::from_str_radix(&l[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

/// Waits until meter `id` has seen `count` packets; returns its stats.
fn meter_saw(d: &Daemon, id: u32, count: usize) -> String {
    let start = Instant::now();
    loop {
        let stats = stdout(d.ctswitch_of("dump-meter-stats", &[&format!("meter={id}")]));
        if stats.contains(&format!("packet_in_count:{count} ")) {
            return stats;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{stats}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until port `port` has transmitted `count` frames.
fn collect(d: &Daemon, port: &str, count: usize) -> Vec<Vec<u8>> {
    let start = Instant::now();
    let mut frames = Vec::new();
    while frames.len() < count {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}",
            frames.len()
        );
        frames.extend(transmitted(d, port));
        std::thread::sleep(Duration::from_millis(20));
    }
    frames
}

/// The DSCP of an untagged IPv4 or IPv6 frame.
fn dscp(frame: &[u8]) -> u8 {
    match [frame[12], frame[13]] {
        [0x08, 0x00] => frame[15] >> 2,
        [0x86, 0xdd] => ((u16::from_be_bytes([frame[14], frame[15]]) >> 4) as u8) >> 2,
        other => panic!("not IP: {other:?}"),
    }
}

/// Whether an IPv4 frame's header checksum is right.
fn ipv4_checksum_ok(frame: &[u8]) -> bool {
    let sum: u32 = frame[14..34]
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    let sum = (sum & 0xffff) + (sum >> 16);
    (sum & 0xffff) + (sum >> 16) == 0xffff
}

#[test]
fn ovs_ofctl_adds_and_dumps_a_dscp_remark_meter() {
    let d = Daemon::start("meters-remark-ofctl", &[]);
    let add = d.ovs_ofctl(
        "add-meter",
        &["meter=3,pktps,burst,bands=type=dscp_remark,rate=10,burst_size=5,prec_level=1"],
    );
    assert!(add.status.success(), "{add:?}");
    // As ovs-ofctl 3.1 prints such a band (its own METER_MOD echo).
    let dump = stdout(d.ovs_ofctl("dump-meters", &["meter=3"]));
    assert!(
        dump.ends_with(
            "meter=3 pktps burst bands=\ntype=dscp_remark rate=10 burst_size=5 prec_level=1\n"
        ),
        "{dump}"
    );
    assert_eq!(
        stdout(d.ctswitch_of("dump-meters", &["meter=3"])),
        dump.replace("(xid=0x6)", "(xid=0x2)")
    );
    let features = stdout(d.ovs_ofctl("meter-features", &[]));
    assert!(
        features.contains("\nband_types: drop dscp_remark\n"),
        "{features}"
    );
}

#[test]
fn packets_over_a_remark_bands_rate_leave_with_a_higher_drop_precedence() {
    let d = Daemon::start("meters-remark-packets", &[]);
    stdout(d.ctswitch_of(
        "add-meter",
        &["meter=1,pktps,stats,bands=type=dscp_remark,rate=1,prec_level=1"],
    ));
    stdout(d.ctswitch_of("add-flow", &["in_port=2,actions=meter:1,output:1"]));
    // AF21 (DSCP 18, TOS 72) over IPv4 and IPv6, alternating: one meter.
    let packets = [
        "udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=72,tp_src=1,tp_dst=2",
        "udp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,nw_tos=72,tp_src=1,tp_dst=2",
    ];
    let start = Instant::now();
    for i in 0..10 {
        stdout(d.ctswitch_ctl("inject", &["2", packets[i % 2]]));
    }
    let stats = meter_saw(&d, 1, 10);
    let elapsed = start.elapsed();
    // A remark band drops nothing.
    let frames = collect(&d, "1", 10);
    assert_eq!(frames.len(), 10);
    let passed = frames.iter().filter(|f| dscp(f) == 18).count();
    let remarked = frames.iter().filter(|f| dscp(f) == 20).count();
    assert_eq!(passed + remarked, 10, "{frames:?}");
    // One packet a second: the first passes, and one more for each
    // second the packets took.
    let allowed = 1 + elapsed.as_secs() as usize + 1;
    assert!((1..=allowed).contains(&passed), "{passed} in {elapsed:?}");
    for frame in frames.iter().filter(|f| f[12] == 0x08) {
        assert!(ipv4_checksum_ok(frame), "{frame:?}");
    }
    assert!(
        stats.contains(&format!("0: packet_count:{remarked} ")),
        "{stats}"
    );
}

#[test]
fn a_kbps_drop_band_holds_a_flood_to_its_rate() {
    let d = Daemon::start("meters-kbps-flood", &[]);
    // 1 kbit/s: a bucket of 1000 bits, refilled by one bit a millisecond.
    stdout(d.ctswitch_of("add-meter", &["meter=2,kbps,stats,bands=type=drop,rate=1"]));
    stdout(d.ctswitch_of("add-flow", &["in_port=2,actions=meter:2,output:1"]));
    let start = Instant::now();
    for sport in 1..=20 {
        let packet = format!("udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_src={sport},tp_dst=2");
        stdout(d.ctswitch_ctl("inject", &["2", &packet]));
    }
    let stats = meter_saw(&d, 2, 20);
    let elapsed_ms = start.elapsed().as_millis() as usize;
    let dropped = band_packets(&stats);
    let frames = collect(&d, "1", 20 - dropped);
    let bits: usize = frames.iter().map(|f| f.len() * 8).sum();
    let len = frames.first().map_or(0, Vec::len) * 8;
    // The full bucket lets the first packets through, then the rate (the
    // meter's clock counts whole milliseconds: one more than measured).
    assert!(bits + len > 1000, "{bits} bits passed");
    assert!(
        bits <= 1000 + elapsed_ms + 1,
        "{bits} bits in {elapsed_ms} ms"
    );
    assert!(dropped > 0, "{stats}");
    assert_eq!(frames.len(), 20 - dropped);
}

/// The packets band 0 of a one-band meter's stats counted.
fn band_packets(stats: &str) -> usize {
    let count = stats
        .split("0: packet_count:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no band 0 in {stats}"));
    count.parse().unwrap()
}
