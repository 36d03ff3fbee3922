//! A `tap` port as the bridge's LOCAL port: ctswitchd creates the tap
//! (`--port LOCAL=tap:NAME`), the test moves it into a namespace of its
//! own and gives it an address there, and a namespace behind an afpacket
//! port (see `netns_support`) pings it and moves TCP both ways through the
//! switch's NORMAL. ns1's veth keeps its offloads, so what it sends
//! crosses as TCP super-frames that the tap takes as GSO requests.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use daemon_support::{stdout, Daemon};
use netns_support::{port_counts, transfer_intact, Net};

const TAP_ADDR: &str = "10.236.0.2";

#[test]
fn a_tap_local_port_is_pinged_and_carries_tcp_both_ways() {
    // Side 2's veth is not used: its namespace is where the tap goes (its
    // own address is on another subnet, out of the way).
    let Some(net) = Net::new('T', ["10.236.0.1/24", "10.236.9.2/24"], [false, false]) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let tap = format!("{}t", ns2.host);
    let [port1, _] = net.ports();
    let local = format!("LOCAL=tap:{tap}");
    let d = Daemon::start("netns-tap", &["--port", &port1, "--port", &local]);
    stdout(d.ovs_ofctl("add-flow", &["actions=NORMAL"]));
    let show = stdout(d.ovs_ofctl("show", &[]));
    assert!(show.contains(&format!(" LOCAL({tap}): ")), "{show}");

    netns_support::ip(&["link", "set", &tap, "netns", &ns2.ns]);
    ns2.ip(&["addr", "add", &format!("{TAP_ADDR}/24"), "dev", &tap]);
    ns2.ip(&["link", "set", &tap, "up"]);

    ns1.ping(TAP_ADDR);
    let there = transfer_intact(ns1, (TAP_ADDR, 5001), ns2, 5001, 20 << 20);
    assert_eq!(there.peer, ns1.addr);
    let back = transfer_intact(ns2, (&ns1.addr, 5002), ns1, 5002, 20 << 20);
    assert_eq!(back.peer, TAP_ADDR);

    // ns1's TCP reached the tap as super-frames, the tap's as frames
    // of its MTU.
    let ports = stdout(d.ovs_ofctl("dump-ports", &["LOCAL"]));
    let (tx_pkts, tx_bytes) = port_counts(&ports, "tx");
    assert!(tx_bytes / tx_pkts > 1514, "{ports}");
    let (rx_pkts, rx_bytes) = port_counts(&ports, "rx");
    assert!(rx_bytes > 20 << 20 && rx_bytes / rx_pkts <= 1514, "{ports}");
}
