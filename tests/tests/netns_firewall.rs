//! Real traffic through ctswitchd: two network namespaces, each joined by
//! a veth pair to the host, whose host ends are the daemon's `afpacket`
//! ports 1 and 2, with the classic stateful firewall programmed by the
//! real ovs-ofctl. ns1 may open connections to ns2, never the reverse.
//! The veths keep the kernel's default offloads (partial checksums, TSO),
//! under which OVS 3.1's userspace datapath passes no TCP at all; the same
//! runs with them off (`ethtool -K IF tx off`) on both sides, on ns2's
//! side only (the switch's TCP super-frames from ns1 must be cut by the
//! kernel for an interface without TSO) and on ns1's side only.
//!
//! Needs root (it skips without), iproute2 with `ip netns`, ping and
//! ethtool (scripts/setup.sh installs them); see `netns_support`.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use daemon_support::{stdout, Daemon};
use netns_support::{port_counts, transfer_intact, udp_reaches, Net, Sink, FIREWALL};

/// Bytes ns1 sends to ns2 (100 MiB).
const TRANSFER: usize = 100 << 20;
const NS1: &str = "10.231.7.1/24";
const NS2: &str = "10.231.7.2/24";

#[test]
fn the_stateful_firewall_passes_ns1_to_ns2_and_refuses_the_reverse() {
    firewall('d', [false, false]);
}

#[test]
fn the_firewall_works_with_offloads_off() {
    firewall('o', [true, true]);
}

#[test]
fn the_firewall_works_with_offloads_on_one_side_only() {
    firewall('m', [false, true]);
}

#[test]
fn the_firewall_works_with_offloads_on_the_other_side_only() {
    firewall('r', [true, false]);
}

fn firewall(tag: char, offloads_off: [bool; 2]) {
    let Some(net) = Net::new(tag, [NS1, NS2], offloads_off) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let [port1, _] = net.ports();
    let port2 = format!("afpacket:{}", ns2.host);
    // Port 1 from the command line, port 2 added at run time.
    let d = Daemon::start(&format!("netns-{tag}"), &["--port", &port1]);
    stdout(d.ctswitch_ctl("port-add", &["2", &port2]));
    d.add_flows(FIREWALL);

    ns1.ping(&ns2.addr);
    let received = transfer_intact(ns1, (&ns2.addr, 5001), ns2, 5001, TRANSFER);
    assert_eq!(received.peer, ns1.addr);

    // With TSO on (the veth default) the transfer crosses as super-frames.
    let ports = stdout(d.ovs_ofctl("dump-ports", &["1"]));
    let (pkts, bytes) = port_counts(&ports, "rx");
    assert!(bytes > TRANSFER as u64, "port 1 received {bytes} bytes");
    let super_frames = bytes / pkts > 1514;
    assert_eq!(
        super_frames, !offloads_off[0],
        "{pkts} frames, {bytes} bytes"
    );

    let _listener = Sink::listen(ns1, 5002);
    let refused = netns_support::source(ns2, &ns1.addr, 5002, 1000, 2);
    assert_eq!(
        refused.status.code(),
        Some(3),
        "ns2 opened a connection to ns1: {}",
        String::from_utf8_lossy(&refused.stdout)
    );

    assert!(
        !udp_reaches(ns2, &ns1.addr, ns1, 5003),
        "ns2's UDP reached ns1"
    );

    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let has = |needle: &str| dump.lines().any(|l| l.contains(needle));
    let (a1, a2) = (&ns1.addr, &ns2.addr);
    assert!(
        has(&format!("icmp,orig=(src={a1},dst={a2}")),
        "no ping in:\n{dump}"
    );
    assert!(
        dump.lines().any(|l| l.starts_with("tcp,")
            && l.contains(&format!("src={a1},dst={a2}"))
            && l.contains("dport=5001")),
        "no transfer in:\n{dump}"
    );
    assert!(
        !has("dport=5002"),
        "the refused connection was committed:\n{dump}"
    );
    assert!(
        !has("dport=5003"),
        "the refused datagrams were committed:\n{dump}"
    );
}
