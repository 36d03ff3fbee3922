//! End-to-end runs of `ctswitch ct-replay` on the captures under
//! `tests/captures/ct/` (written by
//! `cargo run -p conntrack --example gen_ct_captures -- tests/captures`),
//! and of `ctswitch ct-bench --quick`.
//!
//! The expected per-packet states and final dumps are what Open vSwitch
//! 3.1.0's userspace tracker gave for the same frames through a
//! `ct(commit,table=1)` pipeline (or `ct(table=1)` without `--commit`),
//! asked with ../shared/tools/ovs-scenario with TCP sequence checking on;
//! its `ct_state=new|trk` is written here as `+new+trk`.
//!
//! Environment: `CTSWITCH_BIN=PATH` tests that binary instead of building
//! `cargo build -p ctswitch --bin ctswitch`.

// A test harness: its helpers fail the test by panicking.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/ct");

fn replay(capture: &str, extra: &[&str]) -> String {
    ctswitch_tests::ct_replay(extra, &Path::new(CAPTURES).join(capture))
}

#[test]
fn tcp_session_matches_ovs() {
    assert_eq!(
        replay("tcp-session.pcap", &["--commit"]),
        "1 +new+trk\n2 +est+rpl+trk\n3 +est+trk\n4 +est+trk\n5 +est+rpl+trk\n6 +est+trk\n7 +est+rpl+trk\n8 +est+trk\n\
         tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),protoinfo=(state=TIME_WAIT)\n"
    );
}

#[test]
fn tcp_retransmission_is_established_and_out_of_window_is_invalid_as_in_ovs() {
    assert_eq!(
        replay("tcp-retrans-oow.pcap", &["--commit"]),
        "1 +new+trk\n2 +est+rpl+trk\n3 +est+trk\n4 +est+trk\n5 +est+trk\n6 +est+rpl+trk\n7 +inv+trk\n8 +est+rpl+trk\n\
         tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40001,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40001),protoinfo=(state=ESTABLISHED)\n"
    );
}

#[test]
fn liberal_mode_accepts_the_out_of_window_segment() {
    let out = replay("tcp-retrans-oow.pcap", &["--commit", "--liberal"]);
    assert!(out.contains("7 +est+rpl+trk\n"), "{out}");
}

#[test]
fn udp_matches_ovs() {
    assert_eq!(
        replay("udp.pcap", &["--commit"]),
        "1 +new+trk\n2 +new+trk\n3 +est+rpl+trk\n4 +est+trk\n5 +new+trk\n\
         udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=5353,dport=53),reply=(src=10.1.1.2,dst=10.1.1.1,sport=53,dport=5353)\n\
         udp,orig=(src=10.1.1.2,dst=10.1.1.1,sport=9999,dport=5353),reply=(src=10.1.1.1,dst=10.1.1.2,sport=5353,dport=9999)\n"
    );
}

#[test]
fn icmp_echo_and_error_match_ovs() {
    assert_eq!(
        replay("icmp.pcap", &["--commit"]),
        "1 +new+trk\n2 +est+rpl+trk\n3 +inv+trk\n4 +new+trk\n5 +rel+rpl+trk\n\
         icmp,orig=(src=10.1.1.1,dst=10.1.1.2,id=77,type=8,code=0),reply=(src=10.1.1.2,dst=10.1.1.1,id=77,type=0,code=0)\n\
         udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=33434,dport=33434),reply=(src=10.1.1.2,dst=10.1.1.1,sport=33434,dport=33434)\n"
    );
}

#[test]
fn ipv6_tcp_and_icmpv6_match_ovs() {
    assert_eq!(
        replay("ipv6-tcp.pcap", &["--commit"]),
        "1 +new+trk\n2 +est+rpl+trk\n3 +est+trk\n4 +est+trk\n5 +est+rpl+trk\n6 +est+trk\n7 +est+rpl+trk\n8 +est+trk\n9 +new+trk\n10 +est+rpl+trk\n\
         icmpv6,orig=(src=2001:db8::1,dst=2001:db8::2,id=9,type=128,code=0),reply=(src=2001:db8::2,dst=2001:db8::1,id=9,type=129,code=0)\n\
         tcp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=40000,dport=80),reply=(src=2001:db8::2,dst=2001:db8::1,sport=80,dport=40000),protoinfo=(state=TIME_WAIT)\n"
    );
}

#[test]
fn without_commit_nothing_is_kept_as_in_ovs() {
    assert_eq!(
        replay("tcp-session.pcap", &[]),
        "1 +new+trk\n2 +inv+trk\n3 +new+trk\n4 +new+trk\n5 +new+trk\n6 +new+trk\n7 +new+trk\n8 +new+trk\n"
    );
    assert_eq!(
        replay("udp.pcap", &[]),
        "1 +new+trk\n2 +new+trk\n3 +new+trk\n4 +new+trk\n5 +new+trk\n"
    );
}

#[test]
fn zone_shows_in_the_dump() {
    let out = replay("udp.pcap", &["--commit", "--zone", "7"]);
    assert!(out.contains("sport=53,dport=5353),zone=7\n"), "{out}");
}

#[test]
fn json_output_carries_each_packets_metadata_and_the_connections() {
    let out = replay(
        "icmp.pcap",
        &["--commit", "--zone", "3", "--format", "json"],
    );
    assert!(out.contains("\"ct_state\": \"+rel+rpl+trk\""), "{out}");
    assert!(out.contains("\"ct_zone\": 3"), "{out}");
    assert!(out.contains("\"connections\": ["), "{out}");
    assert!(out.contains("\"icmp_type\": 8"), "{out}");
}

#[test]
fn a_file_that_is_not_pcap_is_one_clear_error() {
    let out = Command::new(ctswitch_tests::ctswitch())
        .args([
            "ct-replay",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .output()
        .expect("cannot run ctswitch");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("ctswitch: ") && err.contains("not a pcap file"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn quick_bench_prints_every_workload_as_json() {
    let out = Command::new(ctswitch_tests::ctswitch())
        .args(["ct-bench", "--quick", "--runs", "1", "--format", "json"])
        .output()
        .expect("cannot run ctswitch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for workload in ["\"hot\"", "\"tcp\"", "\"zones\""] {
        assert_eq!(
            text.matches(workload).count(),
            2,
            "{workload} for 1 and 2 threads in {text}"
        );
    }
    for key in [
        "\"threads\"",
        "\"conns\"",
        "\"lookup_ns\"",
        "\"commit_ns\"",
        "\"flush_ns_per_conn\"",
        "\"bytes_per_conn\"",
    ] {
        assert_eq!(text.matches(key).count(), 6, "{key} in {text}");
    }
    assert!(text.contains("\"bytes_per_conn\": null"), "{text}");
}

#[test]
fn nat_prints_the_rewritten_packets_and_the_translated_reply_tuples() {
    let out = replay("udp.pcap", &["--commit", "--nat", "dst=10.9.9.9"]);
    assert!(
        out.starts_with("1 +new+trk+dnat -> udp 10.1.1.1:5353 > 10.9.9.9:53\n"),
        "{out}"
    );
    assert!(
        out.contains("udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=5353,dport=53),reply=(src=10.9.9.9,dst=10.1.1.1,sport=53,dport=5353)\n"),
        "{out}"
    );
    let snat = replay(
        "tcp-session.pcap",
        &["--commit", "--nat", "src=192.168.0.10:1024-2048"],
    );
    let first = snat.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("1 +new+trk+snat -> tcp 192.168.0.10:"),
        "{snat}"
    );
    let bad = Command::new(ctswitch_tests::ctswitch())
        .args(["ct-replay", "--nat", "bogus=1"])
        .arg(Path::new(CAPTURES).join("udp.pcap"))
        .output()
        .expect("cannot run ctswitch");
    assert!(!bad.status.success());
}
