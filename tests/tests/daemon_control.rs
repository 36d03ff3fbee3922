//! The control socket end to end: a frame injected on a dummy port is
//! forwarded through the OpenFlow pipeline (conntrack included) and read
//! back from the output port; the connection it made is dumped and
//! flushed; ports come and go; SIGTERM stops the daemon cleanly.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{eventually, stdout, Daemon};

/// A UDP datagram 10.0.0.1:1000 → 10.0.0.2:2000, from port 1's host.
const UDP: &str =
    "00000000000200000000000108004500002000010000401166ca0a0000010a00000203e807d0000c0000aabbccdd";

#[test]
fn inject_forward_dump_and_flush_round_trip() {
    let d = Daemon::start("ctl-round-trip", &[]);
    stdout(d.ctswitch_of(
        "add-flow",
        &["priority=10,ip,ct_state=-trk,actions=ct(commit,zone=5,table=1)"],
    ));
    stdout(d.ctswitch_of(
        "add-flow",
        &["table=1,priority=10,ip,ct_state=+trk+new,actions=output:2"],
    ));
    stdout(d.ctswitch_ctl("inject", &["1", UDP]));
    eventually("port 2 transmits the datagram", || {
        stdout(d.ctswitch_ctl("port-tx", &["2"])).trim() == UDP
    });
    assert_eq!(
        stdout(d.ctswitch_ctl("dump-conntrack", &[])),
        "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=2000),reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1000),zone=5\n"
    );
    let with_timeout = stdout(d.ctswitch_ctl("dump-conntrack", &["zone=5", "-s"]));
    assert!(with_timeout.contains(",zone=5,timeout="), "{with_timeout}");
    assert_eq!(stdout(d.ctswitch_ctl("dump-conntrack", &["zone=6"])), "");
    let dp = stdout(d.ctswitch_ctl("dump-dp-flows", &[]));
    assert!(dp.contains("ct(commit,zone=5)"), "{dp}");
    let json = stdout(d.ctswitch_ctl("dump-conntrack", &["--format", "json"]));
    assert!(json.contains(r#""zone": 5"#), "{json}");

    // A tuple that names another connection flushes nothing; the right one flushes it.
    stdout(d.ctswitch_ctl("flush-conntrack", &["zone=5", "ct_nw_src=10.0.0.9"]));
    assert_ne!(stdout(d.ctswitch_ctl("dump-conntrack", &[])), "");
    stdout(d.ctswitch_ctl(
        "flush-conntrack",
        &[
            "zone=5",
            "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=17,ct_tp_src=1000,ct_tp_dst=2000",
        ],
    ));
    assert_eq!(stdout(d.ctswitch_ctl("dump-conntrack", &[])), "");

    // Reading with --clear empties the port; a pcap is written on request.
    let pcap = d.dir.join("p2.pcap");
    stdout(d.ctswitch_ctl(
        "port-tx",
        &["2", "--clear", "--pcap", pcap.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read(&pcap).unwrap().len(), 24 + 16 + UDP.len() / 2);
    assert_eq!(stdout(d.ctswitch_ctl("port-tx", &["2"])), "");
}

#[test]
fn ports_are_added_and_removed_and_bad_requests_explained() {
    let mut d = Daemon::start("ctl-ports", &[]);
    stdout(d.ctswitch_ctl("port-add", &["3", "dummy:p3"]));
    assert!(stdout(d.ctswitch_of("show", &[])).contains(" 3(p3): addr:"));
    let taken = d.ctswitch_ctl("port-add", &["3", "dummy:again"]);
    assert_eq!(
        String::from_utf8_lossy(&taken.stderr),
        "ctswitch: port 3 already exists\n"
    );
    let missing = d.ctswitch_ctl("port-add", &["4", "afpacket:ctsw-nosuch0"]);
    let missing = String::from_utf8_lossy(&missing.stderr);
    assert!(missing.starts_with("ctswitch: ctsw-nosuch0: "), "{missing}");
    let unknown = d.ctswitch_ctl("port-add", &["4", "bogus:x"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown port type bogus"));
    stdout(d.ctswitch_ctl("port-del", &["3"]));
    assert!(!stdout(d.ctswitch_of("show", &[])).contains("(p3)"));
    let gone = d.ctswitch_ctl("inject", &["3", "00"]);
    assert_eq!(
        String::from_utf8_lossy(&gone.stderr),
        "ctswitch: no port 3\n"
    );
    let odd = d.ctswitch_ctl("inject", &["1", "abc"]);
    assert!(!odd.status.success());

    let socket = d.socket.clone();
    assert!(d.terminate(), "SIGTERM ends the daemon with status 0");
    assert!(!socket.exists(), "the control socket is removed on exit");
}
