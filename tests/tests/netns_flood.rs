//! A flood of new connections from ns1, far beyond a low conntrack limit
//! (`ctswitchd --ct-limit`), while an established TCP transfer from ns1
//! to ns2 keeps running through the classic firewall (see
//! `netns_support`): the table stays at the limit, and the transfer goes
//! on during and after the flood and completes with its bytes intact.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use std::time::Duration;

use daemon_support::{eventually, stdout, Daemon};
use netns_support::{python, run, Net, Sink, Transfer, FIREWALL};

const LIMIT: usize = 50;
/// New UDP connections in the flood (distinct destination ports).
const FLOOD: usize = 3000;

#[test]
fn an_established_transfer_survives_a_flood_beyond_the_conntrack_limit() {
    let Some(net) = Net::new('f', ["10.234.0.1/24", "10.234.0.2/24"], [false, false]) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let [port1, port2] = net.ports();
    let limit = LIMIT.to_string();
    let d = Daemon::start(
        "netns-flood",
        &["--port", &port1, "--port", &port2, "--ct-limit", &limit],
    );
    d.add_flows(FIREWALL);

    let sink = Sink::listen(ns2, 5001);
    let transfer = Transfer::start(ns1, &ns2.addr, 5001);

    let flood = format!(
        "import socket\n\
         s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
         for p in range({FLOOD}): s.sendto(b'flood',('{}',20000+p))\n",
        ns2.addr
    );
    run(&mut python(&ns1.ns, &flood));
    let dump = || stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    eventually("the table fills up to the limit", || {
        dump().lines().count() == LIMIT
    });
    // The transfer keeps going past the flood.
    std::thread::sleep(Duration::from_millis(500));
    let table = dump();
    assert_eq!(table.lines().count(), LIMIT, "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("tcp,") && l.contains("dport=5001")),
        "the transfer's connection is gone:\n{table}"
    );

    let sent = transfer.finish();
    let received = sink.received();
    assert_eq!(
        received.summary, sent,
        "ns2 received other bytes than ns1 sent"
    );
    assert_eq!(received.peer, ns1.addr);
    let bytes: u64 = sent.split(' ').next().unwrap().parse().unwrap();
    assert!(bytes > 1 << 20, "only {bytes} bytes crossed");
}
