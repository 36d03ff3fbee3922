//! NAT through the tracker, packet by packet: the states, the rewritten
//! packets and the dumps. States and dumps marked "OVS 3.1" are those of
//! the recorded reports in tests/scenarios (snat, dnat, snat-v6).

use crate::extract::tests::{icmp_packet, tcp_packet, udp_packet};
use crate::extract::{extract, Extracted, L3};
use crate::key::ConnKey;
use crate::params::{CtPacket, ExecuteParams, NatAction, NatKind};
use crate::wire::tcp::flags::{ACK, RST, SYN};
use crate::wire::{icmpv4, icmpv6};
use crate::Conntrack;

type Pkt = (Vec<u8>, L3);

fn nat(kind: Option<NatKind>, addr: &str, ports: Option<(u16, u16)>) -> NatAction {
    NatAction {
        kind,
        addr_min: kind.map(|_| addr.parse().unwrap()),
        addr_max: None,
        port_min: ports.map(|p| p.0),
        port_max: ports.map(|p| p.1),
        persistent: false,
        random: false,
    }
}

fn commit_nat(action: NatAction) -> ExecuteParams {
    ExecuteParams {
        commit: true,
        nat: Some(action),
        ..ExecuteParams::default()
    }
}

/// The bare `nat` of `ct(nat)`.
fn bare() -> ExecuteParams {
    ExecuteParams {
        nat: Some(nat(None, "", None)),
        ..ExecuteParams::default()
    }
}

/// Runs `pkt` through `ct`; gives its state and the packet as rewritten.
fn run(ct: &Conntrack, pkt: &Pkt, params: &ExecuteParams) -> (String, Pkt) {
    let mut batch = [CtPacket::new(&pkt.0, 0, pkt.1)];
    ct.execute(&mut batch, params, 0);
    let mut out = pkt.0.clone();
    if let Some(rewrite) = batch[0].rewrite {
        rewrite.apply(&mut out, pkt.1).unwrap();
    }
    (batch[0].md.state.to_string(), (out, pkt.1))
}

/// The key of a packet, its checksums verified.
fn key(pkt: &Pkt) -> ConnKey {
    let mut out = Extracted::EMPTY;
    extract(&pkt.0, pkt.1, 0, true, &mut out).unwrap();
    out.key
}

fn tuple(pkt: &Pkt) -> String {
    let k = key(pkt);
    format!(
        "{} {}:{} > {}:{}",
        k.proto,
        k.src_ip(),
        k.src_port,
        k.dst_ip(),
        k.dst_port
    )
}

#[test]
fn tcp_snat_rewrites_the_source_and_de_nats_the_reply() {
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "192.168.0.10", Some((1024, 2048))));
    let syn = tcp_packet("10.1.1.1", "10.1.1.2", 1234, 80, SYN, 1000, 0, 0);
    assert_eq!(run(&ct, &syn, &bare()).0, "+new+trk");
    let (state, out) = run(&ct, &syn, &snat);
    assert_eq!(state, "+new+trk+snat");
    let k = key(&out);
    assert_eq!(
        k.src_ip(),
        "192.168.0.10".parse::<std::net::IpAddr>().unwrap()
    );
    assert!((1024..=2048).contains(&k.src_port));
    // OVS 3.1: the reply is +est+rpl+dnat and goes back to 10.1.1.1:1234.
    let synack = tcp_packet(
        "10.1.1.2",
        "192.168.0.10",
        80,
        k.src_port,
        SYN | ACK,
        5000,
        1001,
        0,
    );
    let (state, back) = run(&ct, &synack, &bare());
    assert_eq!(state, "+est+rpl+trk+dnat");
    assert_eq!(tuple(&back), "6 10.1.1.2:80 > 10.1.1.1:1234");
    let ack = tcp_packet("10.1.1.1", "10.1.1.2", 1234, 80, ACK, 1001, 5001, 10);
    let (state, again) = run(&ct, &ack, &bare());
    assert_eq!(state, "+est+trk+snat");
    assert_eq!(key(&again), key(&out));
    // OVS 3.1's dump shows the reply tuple as rewritten.
    let dump = ct.dump(None, 0)[0].to_string();
    assert!(
        dump.contains(&format!(
            "reply=(src=10.1.1.2,dst=192.168.0.10,sport=80,dport={})",
            k.src_port
        )),
        "{dump}"
    );
}

#[test]
fn udp_dnat_v4_and_v6_rewrite_the_destination() {
    for (client, vip, server) in [
        ("10.1.1.1", "10.1.1.100", "10.1.1.2"),
        ("2001:db8::1", "2001:db8::100", "2001:db8::2"),
    ] {
        let ct = Conntrack::new();
        let dnat = commit_nat(nat(Some(NatKind::Dst), server, Some((8053, 8053))));
        let (state, out) = run(&ct, &udp_packet(client, vip, 40000, 53), &dnat);
        assert_eq!(state, "+new+trk+dnat");
        assert_eq!(tuple(&out), format!("17 {client}:40000 > {server}:8053"));
        let (state, back) = run(&ct, &udp_packet(server, client, 8053, 40000), &bare());
        assert_eq!(state, "+est+rpl+trk+snat");
        assert_eq!(tuple(&back), format!("17 {vip}:53 > {client}:40000"));
    }
}

#[test]
fn icmp_snat_v4_and_v6_keeps_the_identifier() {
    for (client, nat_addr, server, (req, rep)) in [
        ("10.1.1.1", "192.168.0.10", "10.1.1.2", (8, 0)),
        ("2001:db8::1", "fd00::10", "2001:db8::2", (128, 129)),
    ] {
        let ct = Conntrack::new();
        let snat = commit_nat(nat(Some(NatKind::Src), nat_addr, None));
        let (state, out) = run(&ct, &icmp_packet(client, server, req, 0, 7, b"ping"), &snat);
        assert_eq!(state, "+new+trk+snat");
        assert_eq!(
            tuple(&out),
            format!(
                "{} {nat_addr}:7 > {server}:{}",
                key(&out).proto,
                u16::from(req) << 8
            )
        );
        let (state, back) = run(
            &ct,
            &icmp_packet(server, nat_addr, rep, 0, 7, b"ping"),
            &bare(),
        );
        assert_eq!(state, "+est+rpl+trk+dnat");
        assert_eq!(
            key(&back).dst_ip(),
            client.parse::<std::net::IpAddr>().unwrap()
        );
    }
}

#[test]
fn an_exhausted_port_range_refuses_the_commit_and_counts_it() {
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "192.168.0.10", Some((3000, 3000))));
    let (_, first) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", 1000, 53), &snat);
    assert_eq!(key(&first).src_port, 3000);
    let (state, second) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", 1001, 53), &snat);
    assert_eq!(state, "+new+trk");
    assert_eq!(key(&second).src_port, 1001);
    assert_eq!((ct.len(), ct.nat_exhausted()), (1, 1));
    assert_eq!(ct.counts().nat_exhausted, 1);
    // Once the first connection is gone, its port is free again.
    ct.flush(&crate::FlushFilter::default());
    let (state, _) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", 1001, 53), &snat);
    assert_eq!(state, "+new+trk+snat");
}

/// N ports, N + 1 connections: each of the first N gets its own port,
/// the last is refused (left untranslated, not committed) and counted.
#[test]
fn n_ports_take_n_connections_and_refuse_the_next() {
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "192.168.0.10", Some((3000, 3002))));
    let mut ports = Vec::new();
    for sport in 1000..1003 {
        let (state, out) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", sport, 53), &snat);
        assert_eq!(state, "+new+trk+snat");
        ports.push(key(&out).src_port);
    }
    ports.sort_unstable();
    assert_eq!(ports, [3000, 3001, 3002]);
    let (state, out) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", 1003, 53), &snat);
    assert_eq!((state.as_str(), key(&out).src_port), ("+new+trk", 1003));
    assert_eq!((ct.len(), ct.counts().nat_exhausted), (3, 1));
}

#[test]
fn an_icmp_error_quoting_a_snat_flow_is_de_nated_inside_and_out() {
    for (client, nat_addr, server, unreach) in [
        (
            "10.1.1.1",
            "192.168.0.10",
            "10.1.1.2",
            icmpv4::types::DST_UNREACHABLE,
        ),
        (
            "2001:db8::1",
            "fd00::10",
            "2001:db8::2",
            icmpv6::types::DST_UNREACHABLE,
        ),
    ] {
        let ct = Conntrack::new();
        let snat = commit_nat(nat(Some(NatKind::Src), nat_addr, Some((1024, 2048))));
        let (_, sent) = run(&ct, &udp_packet(client, server, 5353, 53), &snat);
        // The server answers the translated datagram with an error.
        let err = icmp_packet(server, nat_addr, unreach, 3, 0, &sent.0);
        let (state, out) = run(&ct, &err, &bare());
        // As the connection's replies, +dnat (OVS 3.1, nat-snat4.scn).
        assert_eq!(state, "+rel+rpl+trk+dnat");
        // It now reaches the client, quoting what the client sent.
        let mut quoted = Extracted::EMPTY;
        extract(&out.0, out.1, 0, true, &mut quoted).unwrap();
        assert!(quoted.related);
        let original = key(&udp_packet(client, server, 5353, 53));
        assert_eq!(quoted.key, original.reverse());
    }
}

#[test]
fn an_all_zero_snat_translates_only_on_a_port_collision() {
    let ct = Conntrack::new();
    // A DNAT'd connection takes 10.1.1.2:80 <- 10.1.1.1:1234 as its reply.
    let dnat = commit_nat(nat(Some(NatKind::Dst), "10.1.1.2", None));
    run(&ct, &udp_packet("10.1.1.1", "10.1.1.100", 1234, 80), &dnat);
    let zero = commit_nat(nat(Some(NatKind::Src), "0.0.0.0", None));
    let (state, out) = run(&ct, &udp_packet("10.1.1.3", "10.1.1.2", 1234, 80), &zero);
    // Untranslated, yet +snat: OVS 3.1 marks what the action asked for
    // (tests/scenarios/nat-identity.scn).
    assert_eq!(
        (state.as_str(), tuple(&out)),
        (
            "+new+trk+snat",
            "17 10.1.1.3:1234 > 10.1.1.2:80".to_string()
        )
    );
    // The same tuple as the DNAT'd connection's translation collides.
    let (state, out) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", 1234, 80), &zero);
    assert_eq!(state, "+new+trk+snat");
    let k = key(&out);
    assert_eq!(k.src_ip(), "10.1.1.1".parse::<std::net::IpAddr>().unwrap());
    assert!(k.src_port >= 1024 && k.src_port != 1234);
}

/// As OVS 3.1 (tests/scenarios/nat-src-zero.scn): a connection whose
/// own tuple is another's SNAT translation moves to the next port up.
#[test]
fn an_all_zero_snat_colliding_with_a_snat_moves_to_the_next_port() {
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "10.1.1.1", None));
    let (state, _) = run(&ct, &udp_packet("10.1.1.3", "10.1.1.2", 4000, 53), &snat);
    assert_eq!(state, "+new+trk+snat");
    // ovs-ofctl keeps `nat(src=0.0.0.0)` as `nat(src)`: no address.
    let mut zero = commit_nat(nat(Some(NatKind::Src), "0.0.0.0", None));
    if let Some(action) = zero.nat.as_mut() {
        action.addr_min = None;
    }
    for (sport, moved) in [(4000, 4001), (4001, 4002)] {
        let (state, out) = run(&ct, &udp_packet("10.1.1.1", "10.1.1.2", sport, 53), &zero);
        assert_eq!(
            (state.as_str(), tuple(&out)),
            (
                "+new+trk+snat",
                format!("17 10.1.1.1:{moved} > 10.1.1.2:53")
            )
        );
    }
    assert_eq!((ct.len(), ct.nat_exhausted()), (3, 0));
}

#[test]
fn two_threads_committing_nat_at_once_neither_deadlock_nor_collide() {
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "192.168.0.10", Some((1024, 65535))));
    let translated: Vec<Vec<ConnKey>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2u16)
            .map(|t| {
                let (ct, snat) = (&ct, &snat);
                s.spawn(move || {
                    (0..2000u16)
                        .map(|i| {
                            let src = format!("10.1.{t}.{}", i % 200 + 1);
                            let pkt = udp_packet(&src, "10.2.2.2", 1000 + i, 53);
                            key(&run(ct, &pkt, snat).1)
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all: std::collections::HashSet<ConnKey> = translated.into_iter().flatten().collect();
    assert_eq!((ct.len(), ct.nat_exhausted()), (4000, 0));
    assert_eq!(all.len(), 4000, "two connections were given one tuple");
}

/// Runs `pkt`, as an earlier ct described it (`prior`), through `ct`;
/// gives what this ct says and the packet as rewritten.
fn run_after(
    ct: &Conntrack,
    pkt: &Pkt,
    prior: crate::CtMetadata,
    params: &ExecuteParams,
) -> (crate::CtMetadata, Pkt) {
    let mut batch = [CtPacket {
        md: prior,
        ..CtPacket::new(&pkt.0, 0, pkt.1)
    }];
    ct.execute(&mut batch, params, 0);
    let mut out = pkt.0.clone();
    if let Some(rewrite) = batch[0].rewrite {
        rewrite.apply(&mut out, pkt.1).unwrap();
    }
    (batch[0].md, (out, pkt.1))
}

#[test]
fn a_second_ct_in_the_zone_knows_a_packet_it_nated_and_does_not_nat_it_again() {
    // OVS 3.1: nat-recommit.scn and nat-then-ct.scn.
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "192.168.0.10", Some((5000, 5000))));
    let other = commit_nat(nat(Some(NatKind::Src), "192.168.0.20", Some((6000, 6000))));
    let req = udp_packet("10.1.1.1", "10.1.1.2", 4000, 53);
    run(&ct, &req, &snat);
    // Original direction: ct(nat) translates, then ct(commit,nat(other)).
    let (first, translated) = run_after(&ct, &req, Default::default(), &bare());
    // (A second one-way UDP packet is still +new, as in OVS.)
    assert_eq!(first.state.to_string(), "+new+trk+snat");
    assert_eq!(tuple(&translated), "17 192.168.0.10:5000 > 10.1.1.2:53");
    let (second, again) = run_after(&ct, &translated, first, &other);
    assert_eq!(second.state, first.state);
    assert_eq!(second.orig, first.orig);
    assert_eq!(again, translated);
    // Reply direction: de-NAT'd by the first ct, left alone by the second.
    let rep = udp_packet("10.1.1.2", "192.168.0.10", 53, 5000);
    let (first, back) = run_after(&ct, &rep, Default::default(), &bare());
    assert_eq!(first.state.to_string(), "+est+rpl+trk+dnat");
    assert_eq!(tuple(&back), "17 10.1.1.2:53 > 10.1.1.1:4000");
    let dnat = commit_nat(nat(Some(NatKind::Dst), "10.9.9.9", None));
    let (second, again) = run_after(&ct, &back, first, &dnat);
    assert_eq!(second.state, first.state);
    assert_eq!(again, back);
    assert_eq!(ct.len(), 1);
    // In another zone, or with force, the packet is tracked afresh.
    let zone = ExecuteParams { zone: 9, ..bare() };
    let (fresh, _) = run_after(&ct, &back, first, &zone);
    assert_eq!(fresh.state.to_string(), "+new+trk");
}

/// As OVS 3.1 (tests/scenarios/nat-reopen.scn): a SNAT'd connection that a
/// new SYN replaces keeps its translated tuple taken until the next sweep,
/// so the new one moves to the next port, and a packet to the old tuple
/// is invalid (OVS's "missing parent conn").
#[test]
fn a_replaced_snat_connection_holds_its_tuple_until_the_sweep() {
    let ct = Conntrack::new();
    let snat = commit_nat(nat(Some(NatKind::Src), "10.9.0.1", None));
    let syn = |seq| tcp_packet("10.1.1.1", "10.1.1.2", 1234, 80, SYN, seq, 0, 0);
    let (_, out) = run(&ct, &syn(1000), &snat);
    assert_eq!(tuple(&out), "6 10.9.0.1:1234 > 10.1.1.2:80");
    let synack = tcp_packet("10.1.1.2", "10.9.0.1", 80, 1234, SYN | ACK, 5000, 1001, 0);
    assert_eq!(run(&ct, &synack, &bare()).0, "+est+rpl+trk+dnat");
    let rst = tcp_packet("10.1.1.1", "10.1.1.2", 1234, 80, RST | ACK, 1001, 5001, 0);
    assert_eq!(run(&ct, &rst, &bare()).0, "+est+trk+snat");
    // A new SYN on the closed connection: +new, and committed anew.
    assert_eq!(run(&ct, &syn(90000), &bare()).0, "+new+trk");
    let (state, out) = run(&ct, &syn(90000), &snat);
    assert_eq!(state, "+new+trk+snat");
    assert_eq!(tuple(&out), "6 10.9.0.1:1235 > 10.1.1.2:80");
    let stale = tcp_packet("10.1.1.2", "10.9.0.1", 80, 1234, ACK, 5001, 1001, 0);
    assert_eq!(run(&ct, &stale, &bare()).0, "+inv+trk");
    assert_eq!(ct.len(), 1);
    // Swept, the old tuple is free: nothing is found for it.
    ct.sweep(0, usize::MAX);
    assert_eq!(run(&ct, &stale, &bare()).0, "+new+trk");
}
