//! The real `ovs-ofctl -O OpenFlow13` against a running `ctswitchd`:
//! flows added from a file (every ct form and more) are dumped as OVS 3.1
//! dumps the same file (durations aside); edits by del-flows (loose,
//! strict, out_port) and mod-flows leave what they leave in OVS; the
//! switch answers show, dump-aggregate and ct-flush-zone.
//!
//! OVS's answers were recorded from OVS 3.1 in a private sandbox and are
//! kept beside the flow file in `tests/daemon/`.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use ctswitch_tests::{ctswitchd, ovs_ofctl};

/// A daemon on a free port, stopped when dropped.
struct Daemon {
    child: Child,
    target: String,
}

impl Daemon {
    fn start() -> Daemon {
        let mut child = Command::new(ctswitchd())
            .args(["--listen", "ptcp:0:127.0.0.1", "--probe-interval", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ctswitchd starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a first line");
        let addr = line
            .trim()
            .rsplit("tcp:")
            .next()
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Daemon {
            child,
            target: format!("tcp:{addr}"),
        }
    }

    /// Runs `ovs-ofctl -O OpenFlow13 ARGS...` against the daemon.
    fn ofctl(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(ovs_ofctl());
        cmd.args(["-O", "OpenFlow13"]);
        let (opts, rest): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with("--"));
        cmd.args(opts);
        cmd.arg(rest[0]).arg(&self.target).args(&rest[1..]);
        let out = cmd.output().expect("ovs-ofctl runs");
        assert!(
            out.status.success(),
            "ovs-ofctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("daemon")
        .join(name)
}

/// The lines of a dump with durations blanked and the flow lines sorted
/// (OVS's order among equal priorities is its classifier's own).
fn normalized(dump: &str) -> Vec<String> {
    let mut lines: Vec<String> = dump
        .lines()
        .map(|l| match (l.find("duration="), l.find("s, table=")) {
            (Some(a), Some(b)) if a < b => format!("{}duration=?{}", &l[..a], &l[b + 1..]),
            _ => l.to_string(),
        })
        .collect();
    lines.sort();
    lines
}

fn recorded(name: &str) -> Vec<String> {
    normalized(&std::fs::read_to_string(data(name)).unwrap())
}

#[test]
fn add_flows_then_dump_flows_prints_what_ovs_prints() {
    let d = Daemon::start();
    let flows = data("firewall.flows");
    d.ofctl(&["add-flows", flows.to_str().unwrap()]);
    assert_eq!(
        normalized(&d.ofctl(&["dump-flows"])),
        recorded("firewall.ovs-dump")
    );
    assert_eq!(
        normalized(&d.ofctl(&["--no-stats", "dump-flows"])),
        recorded("firewall.ovs-dump-no-stats")
    );
    assert_eq!(
        d.ofctl(&["dump-aggregate"]),
        std::fs::read_to_string(data("firewall.ovs-aggregate")).unwrap()
    );
}

#[test]
fn del_flows_and_mod_flows_edit_as_ovs_does() {
    let d = Daemon::start();
    let flows = data("firewall.flows");
    d.ofctl(&["add-flows", flows.to_str().unwrap()]);
    d.ofctl(&["del-flows", "table=1,ct_state=+est+trk,ip"]);
    d.ofctl(&["--strict", "del-flows", "priority=90,arp"]);
    d.ofctl(&["mod-flows", "table=2,actions=drop"]);
    d.ofctl(&["del-flows", "out_port=2"]);
    assert_eq!(
        normalized(&d.ofctl(&["dump-flows"])),
        recorded("firewall-after-edits.ovs-dump")
    );
}

#[test]
fn show_aggregate_and_ct_flush_zone_are_answered() {
    let d = Daemon::start();
    let show = d.ofctl(&["show"]);
    assert!(
        show.starts_with(
            "OFPT_FEATURES_REPLY (OF1.3) (xid=0x2): dpid:0000000000000001\n\
             n_tables:254, n_buffers:0\n\
             capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS QUEUE_STATS\n"
        ),
        "{show}"
    );
    assert!(show.contains(" LOCAL(br0): addr:"), "{show}");
    d.ofctl(&["ct-flush-zone", "5"]);
    assert_eq!(
        d.ofctl(&["dump-aggregate"]),
        "OFPST_AGGREGATE reply (OF1.3) (xid=0x2): packet_count=0 byte_count=0 flow_count=0\n"
    );
}

#[test]
fn a_bad_flow_mod_is_refused_and_the_connection_goes_on() {
    let d = Daemon::start();
    // check_overlap against an overlapping rule of the same priority.
    d.ofctl(&["add-flow", "priority=5,ip,actions=drop"]);
    let out = Command::new(ovs_ofctl())
        .args(["-O", "OpenFlow13", "add-flow", &d.target])
        .arg("priority=5,check_overlap,tcp,actions=drop")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OFPFMFC_OVERLAP"), "{err}");
    assert!(d
        .ofctl(&["dump-flows"])
        .contains("priority=5,ip actions=drop"));
}
