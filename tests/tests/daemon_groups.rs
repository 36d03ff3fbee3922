//! Groups and meters end to end. The steps of `daemon/groups-meters.steps`
//! (add, modify, delete groups and meters, with the errors, flows that
//! name them, dumps, statistics and features) run with the real
//! `ovs-ofctl -O OpenFlow13` against `ctswitchd` and print what they
//! printed against OVS 3.1 (`groups-meters.ovs-transcript`, recorded on an
//! ovs-sandbox); the same steps through `ctswitch` print the same dumps.
//! Then packets through `all` and `select` groups and a meter.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::process::Output;
use std::time::{Duration, Instant};

use daemon_support::{data, stdout, Daemon};

/// The steps: (verb, args).
fn steps() -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(data("groups-meters.steps"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split(' ').map(str::to_string);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

/// A step's block as the recording script wrote it: the command, the
/// output, the exit status.
fn block(verb: &str, args: &[String], out: &Output) -> String {
    let mut text = format!("$ {verb}");
    for a in args {
        text.push(' ');
        text.push_str(a);
    }
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text.push_str(&format!("[exit {}]\n", out.status.code().unwrap_or(-1)));
    text
}

/// What OVS 3.1 printed, less where ctswitch is better on purpose: its
/// meters also have DSCP remark bands, which METER_FEATURES says.
fn recorded_transcript() -> String {
    std::fs::read_to_string(data("groups-meters.ovs-transcript"))
        .unwrap()
        .replace("band_types: drop\n", "band_types: drop dscp_remark\n")
}

/// Durations blanked; the lines of each step sorted (OVS lists groups
/// and meters in its hash order, ctswitch by id).
fn normalized(transcript: &str) -> Vec<Vec<String>> {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    for line in transcript.lines() {
        if line.starts_with("$ ") {
            blocks.push(Vec::new());
        }
        let line = blank_durations(line);
        if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    for b in &mut blocks {
        b.sort();
    }
    blocks
}

fn blank_durations(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("duration") {
        let (head, tail) = rest.split_at(at + "duration".len() + 1);
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        out.push('?');
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn ovs_ofctl_sees_groups_and_meters_as_on_ovs() {
    let d = Daemon::start("groups-ofctl", &[]);
    let mut transcript = String::new();
    for (verb, args) in steps() {
        let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = d.ovs_ofctl(&verb, &args_ref);
        transcript.push_str(&block(&verb, &args, &out));
    }
    let recorded = recorded_transcript();
    let (ours, theirs) = (normalized(&transcript), normalized(&recorded));
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b);
    }
}

#[test]
fn ctswitch_prints_the_same_dumps_and_fails_where_ovs_ofctl_fails() {
    let d = Daemon::start("groups-cli", &[]);
    let recorded = recorded_transcript();
    let expected = normalized(&recorded);
    for ((verb, args), want) in steps().into_iter().zip(expected) {
        let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = d.ctswitch_of(&verb, &args_ref);
        let failed = want.iter().any(|l| l == "[exit 1]");
        assert_eq!(!out.status.success(), failed, "{verb} {args:?}");
        if failed {
            continue;
        }
        // Errors printed by a dump are part of its output. ovs-ofctl
        // spends xids on negotiation before some requests; ctswitch not.
        let ours = block(&verb, &args, &out);
        let ours = normalized(&ours).pop().unwrap();
        let want: Vec<String> = want
            .iter()
            .map(|l| l.replace("(xid=0x6)", "(xid=0x2)"))
            .collect();
        assert_eq!(ours, want, "{verb} {args:?}");
    }
}

/// A UDP datagram 10.0.0.1:`sport` → 10.0.0.2:2000 (checksum zero).
fn udp(sport: u16) -> String {
    udp_from(1, sport)
}

/// As [`udp`], from 10.0.0.`host`.
fn udp_from(host: u8, sport: u16) -> String {
    let header = [
        0x4500u16,
        0x0020,
        0x0001,
        0x0000,
        0x4011,
        0x0000,
        0x0a00,
        u16::from(host),
        0x0a00,
        0x0002,
    ];
    let sum = header.iter().map(|&w| u32::from(w)).sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    let checksum = !((sum & 0xffff) + (sum >> 16)) as u16;
    format!(
        "000000000002000000000001080045000020000100004011{checksum:04x}0a0000{host:02x}0a000002{sport:04x}07d0000c0000aabbccdd"
    )
}

/// What port `port` transmitted, one frame a line, emptied.
fn transmitted(d: &Daemon, port: &str) -> Vec<String> {
    stdout(d.ctswitch_ctl("port-tx", &[port, "--clear"]))
        .lines()
        .map(str::to_string)
        .collect()
}

/// Waits until ports 1 and 3 transmitted `total` frames between them.
fn collect(d: &Daemon, total: usize) -> (usize, usize) {
    let start = Instant::now();
    let (mut p1, mut p3) = (0, 0);
    while p1 + p3 < total {
        assert!(start.elapsed() < Duration::from_secs(10), "{p1} {p3}");
        p1 += transmitted(d, "1").len();
        p3 += transmitted(d, "3").len();
        std::thread::sleep(Duration::from_millis(20));
    }
    (p1, p3)
}

#[test]
fn injected_packets_go_through_every_bucket_of_an_all_group_and_one_of_a_select_group() {
    let d = Daemon::start("groups-packets", &[]);
    stdout(d.ctswitch_ctl("port-add", &["3", "dummy:p3"]));
    stdout(d.ctswitch_of(
        "add-group",
        &["group_id=1,type=all,bucket=output:1,bucket=output:3"],
    ));
    stdout(d.ctswitch_of(
        "add-group",
        &["group_id=2,type=select,bucket=output:1,bucket=output:3"],
    ));
    stdout(d.ctswitch_of("add-flow", &["in_port=2,udp,tp_src=7,actions=group:1"]));
    stdout(d.ctswitch_of("add-flow", &["in_port=2,udp,actions=group:2"]));

    stdout(d.ctswitch_ctl("inject", &["2", &udp(7)]));
    assert_eq!(collect(&d, 2), (1, 1), "a copy to each bucket");

    // Forty flows from forty hosts: each through exactly one bucket, both
    // buckets used. (OVS's default selection hashes addresses but not UDP
    // ports, so the hosts differ, not the ports.)
    for host in 100..140 {
        stdout(d.ctswitch_ctl("inject", &["2", &udp_from(host, 7000)]));
    }
    let (p1, p3) = collect(&d, 40);
    assert_eq!(p1 + p3, 40);
    assert!(p1 > 5 && p3 > 5, "{p1} {p3}");

    let stats = stdout(d.ctswitch_of("dump-group-stats", &["group_id=1"]));
    assert!(
        stats.contains("group_id=1,duration=") && stats.contains(",ref_count=1,packet_count=1,"),
        "{stats}"
    );
    // The select group picks on each packet's second pass, after the
    // datapath hashed it (OVS 3.1's default): counted once a packet, each
    // bucket with what it sent.
    let stats = stdout(d.ctswitch_of("dump-group-stats", &["group_id=2"]));
    let buckets = format!(
        ",packet_count=40,byte_count=1840,bucket0:packet_count={p1},byte_count={},\
         bucket1:packet_count={p3},byte_count={}",
        p1 * 46,
        p3 * 46
    );
    assert!(stats.contains(&buckets), "{stats}\n{buckets}");
    let dp_flows = stdout(d.ctswitch_ctl("dump-dp-flows", &[]));
    assert!(
        dp_flows.contains("actions:hash(sym_l4(0)),recirc(0x") && dp_flows.contains(",dp_hash(0x"),
        "{dp_flows}"
    );
}

#[test]
fn a_meter_drops_what_is_over_its_rate_in_the_daemons_datapath() {
    let d = Daemon::start("meters-packets", &[]);
    stdout(d.ctswitch_of("add-meter", &["meter=1,pktps,stats,bands=type=drop,rate=1"]));
    stdout(d.ctswitch_of("add-flow", &["in_port=2,actions=meter:1,output:1"]));
    // The same flow five times: the first packet is a miss, the rest hit
    // the megaflow, and every one meets the meter.
    for _ in 0..5 {
        stdout(d.ctswitch_ctl("inject", &["2", &udp(7)]));
    }
    let start = Instant::now();
    let stats = loop {
        let stats = stdout(d.ctswitch_of("dump-meter-stats", &["meter=1"]));
        if stats.contains("packet_in_count:5 ") || start.elapsed() > Duration::from_secs(10) {
            break stats;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(stats.contains("flow_count:1 packet_in_count:5 "), "{stats}");
    // One packet a second: one passes (two if a second went by).
    let passed = transmitted(&d, "1").len();
    assert!((1..=2).contains(&passed), "{passed}\n{stats}");
    assert!(
        stats.contains(&format!("0: packet_count:{} ", 5 - passed)),
        "{stats}"
    );
}
