//! End-to-end runs of `ctswitch ct-replay --helper ftp|tftp` on the
//! captures under `tests/captures/alg/` (written by
//! `cargo run -p conntrack --example gen_ct_captures -- tests/captures`):
//! FTP active (PORT, EPRT) and passive (227, 229) over IPv4 and IPv6,
//! with and without NAT, and TFTP. Each `NAME.pcap` is replayed through
//! one `ct(commit,alg=..[,nat(..)])` and its whole output compared with
//! `NAME.out`.
//!
//! The states (`+new+rel+trk` for a data connection's first packet,
//! `+est+rel` after, the master's mark and label inherited), the NAT of
//! data connections and the dumps are those Open vSwitch 3.1.0 gave for
//! the same exchanges through `ct(alg=ftp|tftp)` pipelines
//! (tests/scenarios/alg-*.scn, recorded with ../shared/tools/ovs-scenario).
//! The payload rewrites and sequence adjustments could not be recorded
//! from OVS: its dummy ports allocate packets without room to grow and it
//! refuses them ("Unsupported effective MTU ... used with FTP"); they
//! follow its source (octets written in decimal, the NAT'd address in
//! PORT/EPRT, the address the client reached in 227) and, where OVS is
//! wrong, do better: a retransmitted announcement keeps its own sequence
//! number, and changes add up.
//!
//! Environment: `CTSWITCH_BIN=PATH` tests that binary instead of building
//! `cargo build -p ctswitch --bin ctswitch`.

// A test harness: its helpers fail the test by panicking.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/alg");

fn replay(capture: &str, args: &[&str]) -> String {
    let args: Vec<&str> = ["--commit"].iter().chain(args).copied().collect();
    ctswitch_tests::ct_replay(&args, &Path::new(CAPTURES).join(capture))
}

/// Replays `NAME.pcap` with `args` and compares with `NAME.out`; returns
/// the output.
fn check(name: &str, args: &[&str]) -> String {
    let got = replay(&format!("{name}.pcap"), args);
    let want = std::fs::read_to_string(Path::new(CAPTURES).join(format!("{name}.out"))).unwrap();
    assert_eq!(got, want, "{name} {args:?}");
    got
}

fn line(out: &str, n: usize) -> &str {
    out.lines().nth(n - 1).unwrap()
}

#[test]
fn ftp_active_ipv4() {
    let out = check("ftp-active4", &["--helper", "ftp"]);
    // The server's data connection from port 20 (OVS 3.1: +new+rel+trk,
    // then +est+rel; committed with alg=ftp, it shows the helper).
    assert_eq!(line(&out, 9), "9 +new+rel+trk");
    assert_eq!(line(&out, 10), "10 +est+rel+rpl+trk");
    assert!(out.contains(
        "tcp,orig=(src=10.1.1.2,dst=10.1.1.1,sport=20,dport=50000),\
         reply=(src=10.1.1.1,dst=10.1.1.2,sport=50000,dport=20),protoinfo=(state=ESTABLISHED),\
         helper=ftp\n"
    ));
}

#[test]
fn ftp_passive_ipv4() {
    let out = check("ftp-passive4", &["--helper", "ftp"]);
    // Two data connections from any client port meet one expectation.
    assert_eq!(line(&out, 12), "12 +new+rel+trk");
    assert!(out.ends_with(
        "expectation tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=0,dport=50000),\
         master=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=21),timeout=299,helper=ftp\n"
    ));
}

#[test]
fn ftp_active_and_passive_ipv6() {
    check("ftp-active6", &["--helper", "ftp"]);
    check("ftp-passive6", &["--helper", "ftp"]);
}

#[test]
fn ftp_active_ipv4_behind_snat_rewrites_port_and_adjusts_the_stream() {
    let out = check(
        "ftp-active4-snat",
        &["--helper", "ftp", "--nat", "src=172.16.100.200"],
    );
    // PORT grows by 6 bytes.
    assert!(line(&out, 4).ends_with("seq=1001 ack=5001 \"PORT 172,16,100,200,195,80\""));
    // The server's acknowledgement of it is taken back by 6, the client's
    // next segment moved on by 6.
    assert!(line(&out, 5).ends_with("seq=5001 ack=1023 \"200 Command okay.\""));
    assert!(line(&out, 6).ends_with("seq=1029 ack=5020 \"RETR file\""));
    // The PORT segment retransmitted after the change: its own sequence
    // number (OVS would shift it by 6 too), rewritten again.
    assert!(line(&out, 7).ends_with("seq=1001 ack=5020 \"PORT 172,16,100,200,195,80\""));
    assert!(line(&out, 8).ends_with("seq=5020 ack=1034"));
    // The data connection to the SNAT address goes to the client.
    assert_eq!(
        line(&out, 9),
        "9 +new+rel+trk+dnat -> tcp 10.1.1.2:20 > 10.1.1.1:50000"
    );
}

#[test]
fn ftp_passive_ipv4_to_a_dnat_server_rewrites_227() {
    let out = check(
        "ftp-passive4-dnat",
        &["--helper", "ftp", "--nat", "dst=10.1.1.2"],
    );
    assert!(line(&out, 5)
        .ends_with("seq=5001 ack=1007 \"227 Entering Passive Mode (192,168,100,200,195,80).\""));
    assert!(line(&out, 6).ends_with("seq=1007 ack=5047 \"RETR file\""));
    // The reply retransmitted: the same rewrite at the same number.
    assert_eq!(line(&out, 7)[2..], line(&out, 5)[2..]);
    assert!(line(&out, 8).ends_with("seq=5054 ack=1018"));
    assert_eq!(
        line(&out, 9),
        "9 +new+rel+trk+dnat -> tcp 10.1.1.1:50001 > 10.1.1.2:50000"
    );
}

#[test]
fn ftp_ipv6_behind_snat_rewrites_eprt_and_follows_epsv() {
    let out = check(
        "ftp-active6-snat",
        &["--helper", "ftp", "--nat", "src=fc00::100"],
    );
    assert!(line(&out, 4).ends_with("seq=1001 ack=5001 \"EPRT |2|fc00::100|50000|\""));
    assert!(line(&out, 6).ends_with("seq=1027 ack=5020 \"RETR file\""));
    let out = check(
        "ftp-passive6-snat",
        &["--helper", "ftp", "--nat", "src=fc00::100"],
    );
    assert_eq!(
        line(&out, 9),
        "9 +new+rel+trk+snat -> tcp [fc00::100]:50001 > [fc00::2]:50000"
    );
}

#[test]
fn tftp_reply_from_another_port_is_related() {
    let out = check("tftp", &["--helper", "tftp"]);
    assert_eq!(line(&out, 2), "2 +new+rel+trk");
    assert_eq!(line(&out, 3), "3 +est+rel+rpl+trk");
    assert_eq!(line(&out, 4), "4 +new+trk");
}

#[test]
fn without_commit_a_data_connection_is_not_expected() {
    let capture = Path::new(CAPTURES).join("ftp-passive4.pcap");
    let out = ctswitch_tests::ct_replay(&["--helper", "ftp"], &capture);
    assert!(!out.contains("+rel"), "{out}");
    assert!(!out.contains("expectation"), "{out}");
}

#[test]
fn json_output_carries_the_edits_and_expectations() {
    let out = replay(
        "ftp-active4-snat.pcap",
        &[
            "--helper",
            "ftp",
            "--nat",
            "src=172.16.100.200",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["packets"][3]["alg"],
        "seq=1001 ack=5001 \"PORT 172,16,100,200,195,80\""
    );
    assert_eq!(v["packets"][0]["alg"], serde_json::Value::Null);
    let exp = &v["expectations"][0];
    assert_eq!(exp["helper"], "ftp");
    assert_eq!(exp["orig"]["dport"], 50000);
    assert_eq!(exp["master"]["sport"], 40000);
}
