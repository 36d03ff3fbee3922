//! `ctswitch`'s OpenFlow verbs against a running `ctswitchd` print what
//! the real `ovs-ofctl -O OpenFlow13` prints against the same daemon.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{data, normalized, stdout, Daemon};

#[test]
fn add_dump_and_del_flows_print_what_ovs_ofctl_prints() {
    let d = Daemon::start("cli-flows", &[]);
    let flows = data("firewall.flows");
    stdout(d.ctswitch_of("add-flows", &[flows.to_str().unwrap()]));
    let ours = stdout(d.ctswitch_of("dump-flows", &[]));
    assert_eq!(
        normalized(&ours),
        normalized(&stdout(d.ovs_ofctl("dump-flows", &[])))
    );
    assert_eq!(
        stdout(d.ctswitch_of("dump-flows", &["--no-stats"])),
        stdout(d.ovs_ofctl("dump-flows", &["--no-stats"]))
    );
    stdout(d.ctswitch_of("del-flows", &["table=1,ct_state=+est+trk,ip"]));
    stdout(d.ctswitch_of("del-flows", &["--strict", "priority=90,arp"]));
    stdout(d.ctswitch_of("mod-flows", &["table=2,actions=drop"]));
    stdout(d.ctswitch_of("del-flows", &["out_port=2"]));
    let edited = stdout(d.ovs_ofctl("dump-flows", &[]));
    let recorded = std::fs::read_to_string(data("firewall-after-edits.ovs-dump")).unwrap();
    assert_eq!(normalized(&edited), normalized(&recorded));
    // With a filter, ovs-ofctl spends xids on protocol negotiation first
    // (its request is xid 6, ours 2): the header's xid is left aside.
    let without_xid = |dump: String| normalized(&dump.replace("(xid=0x6)", "(xid=0x2)"));
    for filter in ["table=1", "ip", "out_port=2", "cookie=0x0/0x1"] {
        assert_eq!(
            without_xid(stdout(d.ctswitch_of("dump-flows", &[filter]))),
            without_xid(stdout(d.ovs_ofctl("dump-flows", &[filter]))),
            "{filter}"
        );
    }
    stdout(d.ctswitch_of("del-flows", &[]));
    assert_eq!(stdout(d.ctswitch_of("dump-flows", &["--no-stats"])), "");
}

#[test]
fn statistics_and_descriptions_print_what_ovs_ofctl_prints() {
    let d = Daemon::start("cli-stats", &[]);
    stdout(d.ctswitch_of("add-flow", &["priority=7,ip,actions=output:2"]));
    for verb in [
        "show",
        "dump-aggregate",
        "dump-ports-desc",
        "dump-tables",
        "dump-groups",
        "dump-meters",
    ] {
        assert_eq!(
            stdout(d.ctswitch_of(verb, &[])),
            stdout(d.ovs_ofctl(verb, &[])),
            "{verb}"
        );
    }
}

#[test]
fn a_refused_flow_mod_is_printed_and_fails() {
    let d = Daemon::start("cli-refused", &[]);
    stdout(d.ctswitch_of("add-flow", &["priority=5,ip,actions=drop"]));
    let out = d.ctswitch_of("add-flow", &["priority=5,check_overlap,tcp,actions=drop"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("OFPT_ERROR (OF1.3) (xid=0x2): OFPFMFC_OVERLAP"),
        "{err}"
    );
    let bad = d.ctswitch_of("add-flow", &["priority=5,ip,actions=bogus"]);
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "ctswitch: unknown action bogus\n"
    );
}

#[test]
fn json_listings_are_json() {
    let d = Daemon::start("cli-json", &[]);
    stdout(d.ctswitch_of("add-flow", &["table=3,priority=9,tcp,actions=ct(commit)"]));
    let flows = stdout(d.ctswitch_of("dump-flows", &["--format", "json"]));
    assert!(flows.contains(r#""table": 3"#), "{flows}");
    assert!(flows.contains(r#""priority": 9"#), "{flows}");
    assert!(flows.contains(r#""actions": "ct(commit)""#), "{flows}");
    let tables = stdout(d.ctswitch_of("dump-tables", &["--format", "json"]));
    assert!(tables.trim_start().starts_with('['), "{tables}");
}
