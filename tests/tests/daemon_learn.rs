//! `learn` in ctswitchd, seen through the real ovs-ofctl: an L2 learning
//! switch learns where each source address is, the learned flows (their
//! loads sent as NXAST_REG_LOAD, as OVS 3.1 sends them) show in
//! `dump-flows` and forward the replies, and deleting the learning flow
//! takes its `delete_learned` flows along.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{eventually, stdout, Daemon};

const FLOWS: &str = "table=0,priority=10,actions=learn(table=1,hard_timeout=60,delete_learned,cookie=0x5,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15],output:NXM_OF_IN_PORT[]),resubmit(,1)\n\
                     table=1,priority=0,actions=FLOOD\n";

/// A UDP datagram between hosts `from` and `to` (MAC 00:..:0N, 10.0.0.N).
fn udp(from: u8, to: u8) -> String {
    format!(
        "udp,dl_src=00:00:00:00:00:0{from},dl_dst=00:00:00:00:00:0{to},nw_src=10.0.0.{from},nw_dst=10.0.0.{to},tp_src=1000,tp_dst=2000"
    )
}

/// The learned flow of table 1 for host `n` on `port`, as ovs-ofctl 3.1
/// prints its match and actions.
fn learned(n: u8, port: u32) -> String {
    format!(
        "hard_timeout=60, vlan_tci=0x0000/0x0fff,dl_dst=00:00:00:00:00:0{n} actions=load:{port:#x}->NXM_NX_REG0[0..15],output:{port}"
    )
}

#[test]
fn a_learning_switch_shows_its_learned_flows_and_forgets_them_with_the_learner() {
    let d = Daemon::start("learn", &[]);
    d.add_flows(FLOWS);

    stdout(d.ctswitch_ctl("inject", &["1", &udp(1, 2)]));
    eventually(
        "host 2 is unknown: the datagram is flooded to port 2",
        || !stdout(d.ctswitch_ctl("port-tx", &["2"])).is_empty(),
    );
    eventually("host 1's flow is learned", || {
        stdout(d.ovs_ofctl("dump-flows", &["table=1"])).contains(&learned(1, 1))
    });

    stdout(d.ctswitch_ctl("inject", &["2", &udp(2, 1)]));
    eventually("the reply goes to port 1 by the learned flow", || {
        !stdout(d.ctswitch_ctl("port-tx", &["1"])).is_empty()
    });
    let flows = stdout(d.ovs_ofctl("dump-flows", &["table=1"]));
    assert!(flows.contains(&learned(2, 2)), "{flows}");
    assert!(
        flows.contains(&format!(
            "table=1, n_packets=1, n_bytes=106, {}",
            learned(1, 1)
        )),
        "the reply counted on host 1's flow: {flows}"
    );

    stdout(d.ovs_ofctl("del-flows", &["table=0"]));
    let flows = stdout(d.ovs_ofctl("dump-flows", &[]));
    assert!(!flows.contains("dl_dst="), "learned flows gone: {flows}");
    assert!(
        flows.contains("actions=FLOOD"),
        "only the flows with the learned cookie go: {flows}"
    );
}
