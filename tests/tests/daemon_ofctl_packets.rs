//! The real ovs-ofctl drives packets through ctswitchd: `packet-out` with
//! `actions=table` runs the pipeline (conntrack included) and the frame
//! leaves by the port the rules choose; `ct-flush-zone` empties one zone
//! and leaves the others; `dump-ports` counts what went out; `ctswitch
//! inject` takes a flow as well as hex.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{eventually, stdout, Daemon};

/// A UDP datagram 10.0.0.1:1000 → 10.0.0.2:2000.
const UDP_A: &str =
    "00000000000200000000000108004500002000010000401166ca0a0000010a00000203e807d0000c0000aabbccdd";
/// The same from port 1001, tracked in another zone by the rules below.
const UDP_B: &str =
    "00000000000200000000000108004500002000010000401166ca0a0000010a00000203e907d0000c0000aabbccdd";

#[test]
fn packet_out_runs_the_pipeline_and_ct_flush_zone_empties_one_zone() {
    let d = Daemon::start("ofctl-packets", &[]);
    let flows = d.dir.join("flows.txt");
    std::fs::write(
        &flows,
        "table=0,priority=20,udp,tp_src=1000,ct_state=-trk,actions=ct(commit,zone=5,table=1)\n\
         table=0,priority=20,udp,tp_src=1001,ct_state=-trk,actions=ct(commit,zone=6,table=1)\n\
         table=1,priority=10,ip,ct_state=+trk+new,actions=output:2\n\
         table=0,priority=10,udp,tp_src=1002,actions=output:1\n",
    )
    .unwrap();
    stdout(d.ovs_ofctl("add-flows", &[flows.to_str().unwrap()]));

    for frame in [UDP_A, UDP_B] {
        stdout(d.ovs_ofctl(
            "packet-out",
            &[&format!("in_port=1 packet={frame} actions=table")],
        ));
    }
    eventually("port 2 transmits both datagrams", || {
        stdout(d.ctswitch_ctl("port-tx", &["2"])) == format!("{UDP_A}\n{UDP_B}\n")
    });
    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    assert!(
        dump.contains(
            "sport=1000,dport=2000),reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1000),zone=5"
        ),
        "{dump}"
    );
    assert!(
        dump.contains(
            "sport=1001,dport=2000),reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1001),zone=6"
        ),
        "{dump}"
    );

    let flows = stdout(d.ovs_ofctl("dump-flows", &[]));
    assert!(
        flows.contains(
            "table=1, n_packets=2, n_bytes=92, priority=10,ct_state=+new+trk,ip actions=output:2"
        ),
        "{flows}"
    );
    let ports = stdout(d.ovs_ofctl("dump-ports", &["2"]));
    assert!(ports.contains("tx pkts=2, bytes=92"), "{ports}");

    // A packet given as a flow is built into a frame and forwarded.
    stdout(d.ctswitch_ctl(
        "inject",
        &["2", "udp,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_src=1002,tp_dst=2000"],
    ));
    eventually("port 1 transmits the composed datagram", || {
        let tx = stdout(d.ctswitch_ctl("port-tx", &["1"]));
        tx.starts_with("000000000002000000000001080045") && tx.contains("0a0000010a00000203ea07d0")
    });

    stdout(d.ovs_ofctl("ct-flush-zone", &["5"]));
    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    assert!(!dump.contains("zone=5"), "{dump}");
    assert!(dump.contains("zone=6"), "{dump}");
}
