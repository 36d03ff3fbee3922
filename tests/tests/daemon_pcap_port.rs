//! `pcap` ports end to end: a capture's frames go through a stateful
//! firewall in ctswitchd, and the capture the output port writes holds
//! exactly the frames the firewall lets through, byte for byte.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::path::PathBuf;

use daemon_support::{eventually, stdout, Daemon};
use datapath::port::pcap;

/// Lets 10.1.1.1 open connections; replies and the rest of an opened
/// connection pass, everything else is dropped.
const FLOWS: &str = "\
table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)
table=1,priority=10,ip,ct_state=+trk+new,nw_src=10.1.1.1,actions=ct(commit),output:2
table=1,priority=10,ip,ct_state=+trk+est,actions=output:2
table=1,priority=0,actions=drop
";

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures/ct")
        .join(name)
}

/// The frames of the capture at `path`.
fn frames(path: &PathBuf) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let capture = pcap::read(&path.display().to_string(), &bytes).unwrap();
    capture.records.iter().map(|r| r.data.to_vec()).collect()
}

#[test]
fn a_capture_through_the_firewall_writes_the_frames_it_lets_through() {
    let dir = daemon_support::private_dir("pcap-port-out");
    let out = dir.join("out.pcap");
    let port2 = format!("2=pcap:,{}", out.display());
    let d = Daemon::start("pcap-port", &["--port", &port2]);
    d.add_flows(FLOWS);
    assert!(
        frames(&out).is_empty(),
        "the output starts as an empty capture"
    );

    // The input port comes once the flows are in: it sends its frames at once.
    let input = capture("udp.pcap");
    let spec = format!("pcap:{}", input.display());
    stdout(d.ctswitch_ctl("port-add", &["1", &spec]));
    let sent = frames(&input);
    assert_eq!(sent.len(), 5);
    // Out: 10.1.1.1's two datagrams, the reply, one more; not the
    // unsolicited datagram from another port of 10.1.1.2 (the last).
    let expected = &sent[..4];
    eventually("the firewall's output is written", || {
        frames(&out).len() >= expected.len()
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(frames(&out), expected);

    let show = stdout(d.ovs_ofctl("show", &[]));
    assert!(show.contains(" 1(pcap1): "), "{show}");
    assert!(show.contains(" 2(pcap2): "), "{show}");
    let ports = stdout(d.ovs_ofctl("dump-ports", &[]));
    assert!(ports.contains("port  1: rx pkts=5,"), "{ports}");
    assert!(ports.contains("tx pkts=4,"), "{ports}");

    let bad = d.ctswitch_ctl("port-add", &["3", "pcap:/nonexistent/in.pcap"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.starts_with("ctswitch: /nonexistent/in.pcap: "), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
