//! `ctswitch trace` against the daemon: by default the text of OVS 3.1's
//! `ofproto/trace` (each ct resumes with the `--ct-next` state), and
//! with `--ct-live` each ct runs on a copy of the daemon's connection
//! table, so a trace sees the connection a real packet made, and the
//! daemon's own table is left as it was.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{eventually, stdout, Daemon};

/// A UDP datagram 10.0.0.1:1000 → 10.0.0.2:2000, from port 1's host.
const UDP: &str =
    "00000000000200000000000108004500002000010000401166ca0a0000010a00000203e807d0000c0000aabbccdd";

/// The reply flow of that datagram, as a trace flow.
const REPLY: &str = "in_port=2,udp,nw_src=10.0.0.2,nw_dst=10.0.0.1,udp_src=2000,udp_dst=1000";

fn firewall(d: &Daemon) {
    for flow in [
        "priority=10,ip,ct_state=-trk,actions=ct(zone=5,table=1)",
        "table=1,priority=10,in_port=1,ip,ct_state=+trk+new,actions=ct(commit,zone=5),output:2",
        "table=1,priority=10,ip,ct_state=+trk+est,actions=output:1",
        "table=1,priority=5,ip,ct_state=+trk+new,actions=drop",
    ] {
        stdout(d.ctswitch_of("add-flow", &[flow]));
    }
}

#[test]
fn ovs_text_by_default_and_the_real_state_when_live() {
    let d = Daemon::start("trace", &[]);
    firewall(&d);
    // As OVS 3.1 prints it (recirculation ids aside).
    let text = stdout(d.ctswitch_ctl("trace", &[REPLY, "--ct-next", "trk,est,rpl"]));
    let expected_start = "Flow: udp,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,\
        dl_dst=00:00:00:00:00:00,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,nw_ecn=0,\
        nw_ttl=0,nw_frag=no,tp_src=2000,tp_dst=1000\n\nbridge(\"br0\")\n-------------\n \
        0. ct_state=-trk,ip, priority 10\n    ct(table=1,zone=5)\n    drop\n     -> A clone \
        of the packet is forked to recirculate. The forked pipeline will be resumed at \
        table 1.\n     -> Sets the packet to an untracked state, and clears all the \
        conntrack fields.\n\nFinal flow: unchanged\nMegaflow: recirc_id=0,ct_state=-trk,eth,\
        ip,in_port=2,nw_frag=no\nDatapath actions: ct(zone=5),recirc(";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(
        text.contains(" - resume conntrack with ct_state=est|rpl|trk\n"),
        "{text}"
    );
    assert!(text.ends_with("Datapath actions: 1\n"), "{text}");

    // Live: no connection yet, so the reply is new and dropped.
    let live = stdout(d.ctswitch_ctl("trace", &[REPLY, "--ct-live"]));
    assert!(
        live.contains(" - resume conntrack with ct_state=new|trk (from the connection tracker)"),
        "{live}"
    );
    assert!(live.ends_with("Datapath actions: drop\n"), "{live}");

    // A real packet opens the connection; the live trace of the reply
    // now finds it, and changes nothing in the daemon's table.
    stdout(d.ctswitch_ctl("inject", &["1", UDP]));
    eventually("port 2 transmits the datagram", || {
        stdout(d.ctswitch_ctl("port-tx", &["2"])).trim() == UDP
    });
    let before = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let live = stdout(d.ctswitch_ctl("trace", &[REPLY, "--ct-live"]));
    assert!(
        live.contains(
            " - resume conntrack with ct_state=est|rpl|trk (from the connection tracker)"
        ),
        "{live}"
    );
    assert!(
        live.contains("ct_tuple") || live.contains("ct_nw_src=10.0.0.1"),
        "{live}"
    );
    assert!(live.ends_with("Datapath actions: 1\n"), "{live}");
    assert_eq!(stdout(d.ctswitch_ctl("dump-conntrack", &[])), before);
    // A new flow committed in a live trace stays in the copy.
    let other = "in_port=1,udp,nw_src=10.0.0.1,nw_dst=10.0.0.3,udp_src=7,udp_dst=8";
    let live = stdout(d.ctswitch_ctl("trace", &[other, "--ct-live"]));
    assert!(
        live.contains("Datapath actions: ct(commit,zone=5),2"),
        "{live}"
    );
    assert_eq!(stdout(d.ctswitch_ctl("dump-conntrack", &[])), before);
}

#[test]
fn bad_flows_and_bridges_are_refused() {
    let d = Daemon::start("trace-bad", &[]);
    let out = d.ctswitch_ctl("trace", &["in_port=1,udp,tp_src=5"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("prerequisites not met for setting tp_src"),
        "{err}"
    );
    let out = d.ctswitch_ctl("trace", &["--bridge", "br9", "in_port=1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("br9: unknown bridge"));
}
