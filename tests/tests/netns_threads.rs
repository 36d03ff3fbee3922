//! Two packet threads (`ctswitchd --threads 2`): each afpacket port has a
//! receive queue per thread, spread by flow, so every connection's
//! frames, both ways, meet one thread in order. Four TCP transfers at
//! once through the stateful firewall (see `netns_support`) all arrive
//! intact, and conntrack holds each as one established connection.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use daemon_support::{stdout, Daemon};
use netns_support::{transfer_intact, Net, FIREWALL};

#[test]
fn two_packet_threads_carry_concurrent_connections_intact() {
    let Some(net) = Net::new('h', ["10.237.0.1/24", "10.237.0.2/24"], [false, false]) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let [port1, port2] = net.ports();
    let d = Daemon::start(
        "netns-threads",
        &["--threads", "2", "--port", &port1, "--port", &port2],
    );
    d.add_flows(FIREWALL);

    ns1.ping(&ns2.addr);
    let ports: Vec<u16> = (5101..5105).collect();
    std::thread::scope(|s| {
        for &port in &ports {
            s.spawn(move || transfer_intact(ns1, (&ns2.addr, port), ns2, port, 25 << 20));
        }
    });

    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    for port in ports {
        let lines = dump
            .lines()
            .filter(|l| l.starts_with("tcp,") && l.contains(&format!("dport={port})")))
            .count();
        assert_eq!(lines, 1, "connection to {port} in:\n{dump}");
    }
}
