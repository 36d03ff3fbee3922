//! A flood of new connections beyond the conntrack limit: the commits
//! past the limit are refused, the table never grows past it, and the
//! TCP connection established before the flood keeps forwarding both ways.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::time::Duration;

use daemon_support::{eventually, stdout, Daemon};

const LIMIT: usize = 40;
const INSIDE: &str =
    "dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2";
const OUTSIDE: &str =
    "dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1";

/// Injects `packet` on `port` and waits until `out` transmitted one frame,
/// which is returned (the port's record is cleared).
fn through(d: &Daemon, port: &str, packet: &str, out: &str) -> String {
    stdout(d.ctswitch_ctl("inject", &[port, packet]));
    let mut frame = String::new();
    eventually(&format!("port {out} transmits {packet}"), || {
        frame = stdout(d.ctswitch_ctl("port-tx", &[out, "--clear"]));
        !frame.is_empty()
    });
    frame
}

#[test]
fn established_traffic_survives_a_flood_beyond_the_limit() {
    let d = Daemon::start("ct-limit", &["--ct-limit", &LIMIT.to_string()]);
    for flow in [
        "table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)",
        "table=1,priority=10,in_port=1,ip,ct_state=+trk+new,actions=ct(commit),output:2",
        "table=1,priority=10,ip,ct_state=+trk+est,in_port=1,actions=output:2",
        "table=1,priority=10,ip,ct_state=+trk+est,in_port=2,actions=output:1",
    ] {
        stdout(d.ctswitch_of("add-flow", &[flow]));
    }
    let tcp = |from: &str, ports: &str, flags: &str, seq: u32, ack: u32| {
        format!("tcp,{from},{ports},tcp_flags={flags},tcp_seq={seq},tcp_ack={ack}")
    };
    let out = "tp_src=40000,tp_dst=80";
    let back = "tp_src=80,tp_dst=40000";
    through(&d, "1", &tcp(INSIDE, out, "syn", 1000, 0), "2");
    through(&d, "2", &tcp(OUTSIDE, back, "syn|ack", 5000, 1001), "1");
    through(&d, "1", &tcp(INSIDE, out, "ack", 1001, 5001), "2");

    // The flood: three times the limit of new UDP connections.
    for n in 0..3 * LIMIT {
        let udp = format!("udp,{INSIDE},tp_src={},tp_dst=53", 10_000 + n);
        stdout(d.ctswitch_ctl("inject", &["1", &udp]));
    }
    eventually("the flood is through", || {
        let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
        dump.lines().count() == LIMIT
    });
    std::thread::sleep(Duration::from_millis(200));
    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    assert_eq!(dump.lines().count(), LIMIT, "{dump}");
    assert!(dump.contains("sport=40000,dport=80"), "{dump}");
    stdout(d.ctswitch_ctl("port-tx", &["2", "--clear"]));

    // The established connection still forwards, both ways (data is 64 bytes).
    through(&d, "1", &tcp(INSIDE, out, "ack", 1001, 5001), "2");
    through(&d, "2", &tcp(OUTSIDE, back, "ack", 5001, 1065), "1");
}
