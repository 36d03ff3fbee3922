//! `bundle` and `multipath` in the running daemon: the member each flow
//! takes is OVS 3.1's (the choices recorded in
//! `tests/scenarios/bundle-hrw-backup.ovs.out` for the same packets), a
//! repeated packet that the datapath's megaflow cache answers goes the
//! same way, and `ovs-ofctl mod-port` taking members down and up moves
//! the traffic (the port change drops the cached choices).

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::{stdout, Daemon};

/// UDP 10.0.0.1:`sport` → 10.0.0.2:53, as the scenario sends it.
fn udp(sport: u16) -> String {
    format!(
        "udp,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,\
         nw_dst=10.0.0.2,nw_ttl=64,tp_src={sport},tp_dst=53"
    )
}

/// How many frames each of ports 2, 3 and 4 transmitted, emptied.
fn sent(d: &Daemon) -> [usize; 3] {
    ["2", "3", "4"].map(|port| {
        stdout(d.ctswitch_ctl("port-tx", &[port, "--clear"]))
            .lines()
            .count()
    })
}

/// Injects the datagram from source port `sport` twice (the second one
/// meets the cached megaflow) and returns the port both copies left by,
/// or `None` when they were dropped.
fn port_taken(d: &Daemon, sport: u16) -> Option<u32> {
    for _ in 0..2 {
        stdout(d.ctswitch_ctl("inject", &["1", &udp(sport)]));
    }
    let start = Instant::now();
    let mut total = [0; 3];
    // Forwarding is asynchronous: wait for both copies, or for a while
    // when none is expected to come.
    while total.iter().sum::<usize>() < 2 && start.elapsed() < Duration::from_millis(800) {
        for (t, n) in total.iter_mut().zip(sent(d)) {
            *t += n;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    match total {
        [0, 0, 0] => None,
        [2, 0, 0] => Some(2),
        [0, 2, 0] => Some(3),
        [0, 0, 2] => Some(4),
        other => panic!("source port {sport}: sent {other:?}"),
    }
}

fn ports_taken(d: &Daemon) -> Vec<Option<u32>> {
    (2001..=2006).map(|sport| port_taken(d, sport)).collect()
}

#[test]
fn hrw_bundle_members_follow_ovs_and_the_ports_state() {
    let d = Daemon::start("bundle-packets", &[]);
    for (no, name) in [("3", "dummy:p3"), ("4", "dummy:p4")] {
        stdout(d.ctswitch_ctl("port-add", &[no, name]));
    }
    stdout(d.ovs_ofctl(
        "add-flow",
        &["in_port=1,udp,actions=bundle(symmetric_l3l4+udp,5,hrw,ofport,members:2,3,4)"],
    ));
    let (two, three, four) = (Some(2), Some(3), Some(4));
    assert_eq!(ports_taken(&d), [three, three, three, three, two, two]);

    stdout(d.ovs_ofctl("mod-port", &["p3", "down"]));
    assert_eq!(ports_taken(&d), [two, four, two, four, two, two]);

    stdout(d.ovs_ofctl("mod-port", &["p2", "down"]));
    stdout(d.ovs_ofctl("mod-port", &["p4", "down"]));
    assert_eq!(ports_taken(&d), [None; 6]);

    for port in ["p2", "p3", "p4"] {
        stdout(d.ovs_ofctl("mod-port", &[port, "up"]));
    }
    assert_eq!(ports_taken(&d), [three, three, three, three, two, two]);
}
