//! NAT with real traffic through ctswitchd (see `netns_support`), set up
//! as a user would with the real ovs-ofctl: `ct(nat)` on every packet
//! (which un-NATs replies and NATs the rest of a connection), and
//! `ct(commit,nat(...))` on a new connection from ns1.
//!
//! * SNAT: ns1 (its own subnet) reaches ns2 behind an address of ns2's
//!   subnet; ns2 sees only that address.
//! * DNAT: ns1 reaches a service address (port 80), which the switch
//!   sends to ns2's port 5001; ns1 only ever sees the service address.
//!
//! Neither side ARPs for an address nobody owns: static neighbour entries
//! in the namespaces stand for the proxy ARP a router would do. The veths
//! keep their default offloads (partial checksums, TSO super-frames),
//! which NAT's checksum updates must get right; SNAT runs again with
//! ns2's side without offloads.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use daemon_support::{stdout, Daemon};
use netns_support::{transfer_intact, Net};

/// Bytes of each transfer (50 MiB).
const TRANSFER: usize = 50 << 20;

/// The pipeline shared by both tests; `COMMIT` is the new connections'
/// action.
const FLOWS: &str = "\
table=0,priority=10,ip,ct_state=-trk,actions=ct(nat,table=1)
table=0,priority=10,arp,actions=NORMAL
table=1,priority=10,ip,in_port=1,ct_state=+trk+new,NEW_MATCH,actions=COMMIT,output:2
table=1,priority=10,ip,in_port=1,ct_state=+trk+est,actions=output:2
table=1,priority=10,ip,in_port=2,ct_state=+trk+est,actions=output:1
table=1,priority=0,actions=drop
";

/// A daemon on `net`'s two veths with [`FLOWS`] whose new connections
/// (those matching `new_match`) get `commit`.
fn daemon(tag: &str, net: &Net, new_match: &str, commit: &str) -> Daemon {
    let [port1, port2] = net.ports();
    let d = Daemon::start(tag, &["--port", &port1, "--port", &port2]);
    d.add_flows(
        &FLOWS
            .replace("NEW_MATCH", new_match)
            .replace("COMMIT", commit),
    );
    d
}

/// The lines of `dump` of protocol `proto` with all of `needles`.
fn conntrack_lines<'a>(dump: &'a str, proto: &str, needles: &[String]) -> Vec<&'a str> {
    dump.lines()
        .filter(|l| l.starts_with(&format!("{proto},")))
        .filter(|l| needles.iter().all(|n| l.contains(n.as_str())))
        .collect()
}

#[test]
fn snat_hides_ns1_behind_an_address_of_ns2s_subnet() {
    snat('s', [false, false]);
}

/// ns1's TCP super-frames, NAT'd, must be cut by the kernel for ns2's
/// veth without offloads, each segment with a checksum over the new
/// addresses.
#[test]
fn snat_works_with_offloads_off_on_ns2s_side() {
    snat('u', [false, true]);
}

fn snat(tag: char, offloads_off: [bool; 2]) {
    const OUTSIDE: &str = "10.232.2.100";
    let Some(net) = Net::new(tag, ["10.232.1.1/24", "10.232.2.2/24"], offloads_off) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    // ns1 reaches ns2's subnet straight out of its veth; ns2 answers the
    // translated address at ns1's MAC (the proxy ARP of a router).
    ns1.route("10.232.2.0/24");
    ns1.neighbour(&ns2.addr, &ns2.mac);
    ns2.neighbour(OUTSIDE, &ns1.mac);
    let d = daemon(
        &format!("netns-snat-{tag}"),
        &net,
        "nw_src=10.232.1.0/24",
        &format!("ct(commit,nat(src={OUTSIDE}))"),
    );

    ns1.ping(&ns2.addr);
    let received = transfer_intact(ns1, (&ns2.addr, 5001), ns2, 5001, TRANSFER);
    assert_eq!(received.peer, OUTSIDE, "ns2 saw ns1's own address");
    // A second connection gets its own translation.
    let again = transfer_intact(ns1, (&ns2.addr, 5002), ns2, 5002, 1 << 20);
    assert_eq!(again.peer, OUTSIDE);

    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let (a1, a2) = (&ns1.addr, &ns2.addr);
    for port in [5001, 5002] {
        let lines = conntrack_lines(
            &dump,
            "tcp",
            &[
                format!("orig=(src={a1},dst={a2},"),
                format!("dport={port}),reply=(src={a2},dst={OUTSIDE},sport={port},"),
            ],
        );
        assert_eq!(lines.len(), 1, "no SNAT'd connection to {port} in:\n{dump}");
    }
    let pings = conntrack_lines(
        &dump,
        "icmp",
        &[
            format!("orig=(src={a1},dst={a2},"),
            format!("reply=(src={a2},dst={OUTSIDE},"),
        ],
    );
    assert_eq!(pings.len(), 1, "no SNAT'd ping in:\n{dump}");
}

#[test]
fn dnat_sends_a_service_address_to_ns2() {
    const SERVICE: &str = "10.233.0.100";
    let Some(net) = Net::new('t', ["10.233.0.1/24", "10.233.0.2/24"], [false, false]) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    // The service address answers at ns2's MAC (the proxy ARP of a load
    // balancer); ns1 and ns2 ARP for each other through the switch.
    ns1.neighbour(SERVICE, &ns2.mac);
    let d = daemon(
        "netns-dnat",
        &net,
        &format!("nw_dst={SERVICE}"),
        &format!("ct(commit,nat(dst={}:5001))", ns2.addr),
    );

    ns1.ping(SERVICE);
    let received = transfer_intact(ns1, (SERVICE, 80), ns2, 5001, TRANSFER);
    assert_eq!(received.peer, ns1.addr);

    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let (a1, a2) = (&ns1.addr, &ns2.addr);
    let lines = conntrack_lines(
        &dump,
        "tcp",
        &[
            format!("orig=(src={a1},dst={SERVICE},"),
            "dport=80),reply=(".to_string(),
            format!("reply=(src={a2},dst={a1},sport=5001,"),
        ],
    );
    assert_eq!(lines.len(), 1, "no DNAT'd connection in:\n{dump}");
    let pings = conntrack_lines(
        &dump,
        "icmp",
        &[
            format!("orig=(src={a1},dst={SERVICE},"),
            format!("reply=(src={a2},dst={a1},"),
        ],
    );
    assert_eq!(pings.len(), 1, "no DNAT'd ping in:\n{dump}");
    // ns2 itself is not reachable from ns1: only the service is.
    let direct = netns_support::source(ns1, a2, 5001, 1000, 2);
    assert_eq!(direct.status.code(), Some(3), "ns1 reached ns2 directly");
}
