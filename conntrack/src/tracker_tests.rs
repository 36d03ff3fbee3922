//! The tracker's behaviour, packet by packet. Expectations marked "OVS
//! 3.1" were checked against OVS 3.1.0's userspace tracker through a
//! `ct(commit)` pipeline (../shared/tools/ovs-scenario).

use std::net::IpAddr;

use super::*;
use crate::entry::{ConnEntry, TupleL4};
use crate::extract::tests::{icmp_packet, tcp_packet, udp_packet};
use crate::extract::L3;
use crate::flush::{FlushFilter, TupleMatch};
use crate::params::Masked;
use crate::table::ZoneStats;
use crate::timeout::PolicyAttr;
use crate::wire::tcp::flags::{ACK, FIN, RST, SYN};
use crate::wire::{icmpv4, icmpv6};

type Pkt = (Vec<u8>, L3);

const A: &str = "10.1.1.1";
const B: &str = "10.1.1.2";

fn commit(zone: u16) -> ExecuteParams {
    ExecuteParams {
        zone,
        commit: true,
        ..ExecuteParams::default()
    }
}

fn lookup(zone: u16) -> ExecuteParams {
    ExecuteParams {
        zone,
        ..ExecuteParams::default()
    }
}

fn run(ct: &Conntrack, pkt: &Pkt, params: &ExecuteParams, now: u64) -> CtMetadata {
    let mut batch = [CtPacket::new(&pkt.0, 0, pkt.1)];
    ct.execute(&mut batch, params, now);
    batch[0].md
}

fn st(ct: &Conntrack, pkt: &Pkt, params: &ExecuteParams) -> String {
    run(ct, pkt, params, 0).state.to_string()
}

fn tcp(from_a: bool, f: u16, seq: u32, ack: u32, len: usize) -> Pkt {
    if from_a {
        tcp_packet(A, B, 1234, 80, f, seq, ack, len)
    } else {
        tcp_packet(B, A, 80, 1234, f, seq, ack, len)
    }
}

/// Runs `frames` through `ct` as one batch; their states.
fn batch_states(ct: &Conntrack, frames: &[Pkt], params: &ExecuteParams) -> Vec<String> {
    let mut batch: Vec<CtPacket<'_>> = frames
        .iter()
        .map(|(f, l3)| CtPacket::new(f, 0, *l3))
        .collect();
    ct.execute(&mut batch, params, 0);
    batch.iter().map(|p| p.md.state.to_string()).collect()
}

fn dump(ct: &Conntrack) -> Vec<String> {
    let mut lines: Vec<String> = ct.dump(None, 0).iter().map(ToString::to_string).collect();
    lines.sort();
    lines
}

/// SYN, SYN|ACK, ACK as in OVS 3.1's firewall scenario.
fn handshake(ct: &Conntrack) {
    assert_eq!(st(ct, &tcp(true, SYN, 1000, 0, 0), &commit(0)), "+new+trk");
    assert_eq!(
        st(ct, &tcp(false, SYN | ACK, 5000, 1001, 0), &commit(0)),
        "+est+rpl+trk"
    );
    assert_eq!(
        st(ct, &tcp(true, ACK, 1001, 5001, 64), &commit(0)),
        "+est+trk"
    );
}

#[test]
fn tcp_handshake_is_new_then_established_reply_then_established() {
    let ct = Conntrack::new();
    handshake(&ct);
    assert_eq!(
        dump(&ct),
        ["tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=1234,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=1234),protoinfo=(state=ESTABLISHED)"]
    );
}

#[test]
fn first_syn_dumps_as_syn_sent() {
    let ct = Conntrack::new();
    run(&ct, &tcp(true, SYN, 1000, 0, 0), &commit(0), 0);
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=SYN_SENT)"));
}

#[test]
fn syn_ack_without_connection_is_invalid() {
    let ct = Conntrack::new();
    assert_eq!(
        st(&ct, &tcp(false, SYN | ACK, 5000, 1001, 0), &commit(0)),
        "+inv+trk"
    );
    assert!(ct.is_empty());
}

#[test]
fn data_both_ways_and_a_retransmission_stay_established() {
    let ct = Conntrack::new();
    handshake(&ct);
    assert_eq!(
        st(&ct, &tcp(false, ACK, 5001, 1065, 100), &lookup(0)),
        "+est+rpl+trk"
    );
    assert_eq!(
        st(&ct, &tcp(true, ACK, 1065, 5101, 10), &lookup(0)),
        "+est+trk"
    );
    assert_eq!(
        st(&ct, &tcp(false, ACK, 5001, 1065, 100), &lookup(0)),
        "+est+rpl+trk"
    );
}

#[test]
fn out_of_window_segment_is_invalid_and_keeps_the_connection() {
    // OVS 3.1: seq 900000000 from the server is inv|trk with the
    // connection's original tuple.
    let ct = Conntrack::new();
    handshake(&ct);
    let md = run(&ct, &tcp(false, ACK, 900_000_000, 1001, 64), &lookup(0), 0);
    assert_eq!(md.state.to_string(), "+inv+trk");
    let orig = md.orig.unwrap();
    assert_eq!(
        (orig.src, orig.src_port, orig.dst_port),
        (A.parse::<IpAddr>().unwrap(), 1234, 80)
    );
    assert_eq!(ct.len(), 1);
}

#[test]
fn liberal_mode_accepts_out_of_window_segments() {
    let ct = Conntrack::new();
    ct.set_tcp_seq_check(false);
    handshake(&ct);
    assert_eq!(
        st(&ct, &tcp(false, ACK, 900_000_000, 1001, 64), &lookup(0)),
        "+est+rpl+trk"
    );
}

#[test]
fn rst_outside_the_window_is_invalid_and_inside_closes() {
    let ct = Conntrack::new();
    handshake(&ct);
    assert_eq!(
        st(&ct, &tcp(false, RST, 123_456, 0, 0), &lookup(0)),
        "+inv+trk"
    );
    assert_eq!(
        st(&ct, &tcp(false, RST, 5001, 0, 0), &lookup(0)),
        "+est+rpl+trk"
    );
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=TIME_WAIT)"));
}

#[test]
fn rst_from_the_client_in_window_closes() {
    let ct = Conntrack::new();
    handshake(&ct);
    assert_eq!(
        st(&ct, &tcp(true, RST | ACK, 1065, 5001, 0), &lookup(0)),
        "+est+trk"
    );
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=TIME_WAIT)"));
}

#[test]
fn fin_both_ways_goes_through_closing_to_time_wait() {
    let ct = Conntrack::new();
    handshake(&ct);
    assert_eq!(
        st(&ct, &tcp(true, FIN | ACK, 1065, 5001, 0), &lookup(0)),
        "+est+trk"
    );
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=CLOSING)"));
    assert_eq!(
        st(&ct, &tcp(false, FIN | ACK, 5001, 1066, 0), &lookup(0)),
        "+est+rpl+trk"
    );
    assert_eq!(
        st(&ct, &tcp(true, ACK, 1066, 5002, 0), &lookup(0)),
        "+est+trk"
    );
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=TIME_WAIT)"));
}

#[test]
fn new_syn_reuses_a_time_wait_connection() {
    let ct = Conntrack::new();
    handshake(&ct);
    run(&ct, &tcp(true, FIN | ACK, 1065, 5001, 0), &lookup(0), 0);
    run(&ct, &tcp(false, FIN | ACK, 5001, 1066, 0), &lookup(0), 0);
    run(&ct, &tcp(true, ACK, 1066, 5002, 0), &lookup(0), 0);
    assert_eq!(
        st(&ct, &tcp(true, SYN, 77_000, 0, 0), &commit(0)),
        "+new+trk"
    );
    assert_eq!(ct.len(), 1);
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=SYN_SENT)"));
}

#[test]
fn simultaneous_open_reaches_established() {
    // OVS 3.1: the other side's SYN is still new|trk, then the SYN|ACKs
    // are est|trk and est|rpl|trk.
    let ct = Conntrack::new();
    assert_eq!(st(&ct, &tcp(true, SYN, 1000, 0, 0), &commit(0)), "+new+trk");
    assert_eq!(
        st(&ct, &tcp(false, SYN, 5000, 0, 0), &commit(0)),
        "+new+trk"
    );
    assert_eq!(
        st(&ct, &tcp(true, SYN | ACK, 1000, 5001, 0), &commit(0)),
        "+est+trk"
    );
    assert_eq!(
        st(&ct, &tcp(false, SYN | ACK, 5000, 1001, 0), &commit(0)),
        "+est+rpl+trk"
    );
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=ESTABLISHED)"));
}

#[test]
fn retransmitted_syn_is_new_again() {
    let ct = Conntrack::new();
    assert_eq!(st(&ct, &tcp(true, SYN, 1000, 0, 0), &commit(0)), "+new+trk");
    assert_eq!(st(&ct, &tcp(true, SYN, 1000, 0, 0), &commit(0)), "+new+trk");
    assert_eq!(ct.len(), 1);
}

#[test]
fn tcp_edge_cases_match_ovs_3_1() {
    // The answers of OVS 3.1.0 through ct(commit,table=1) with sequence
    // checking on; non-SYN segments carry 64 bytes, as compose-packet's.
    let ct = Conntrack::new();
    handshake(&ct);
    let rst = |seq| tcp(false, RST, seq, 0, 0);
    assert_eq!(st(&ct, &rst(123_456), &commit(0)), "+inv+trk");
    assert_eq!(st(&ct, &rst(5001), &commit(0)), "+est+rpl+trk");
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=TIME_WAIT)"));
    assert_eq!(
        st(&ct, &tcp(true, SYN, 77_000, 0, 0), &commit(0)),
        "+new+trk"
    );
    assert!(dump(&ct)[0].ends_with("protoinfo=(state=SYN_SENT)"));
    let other = |sport, f, seq| tcp_packet(A, B, sport, 80, f, seq, 0, 64);
    assert_eq!(
        st(
            &ct,
            &tcp_packet(A, B, 2000, 80, SYN | FIN, 1, 0, 0),
            &commit(0)
        ),
        "+inv+trk"
    );
    assert_eq!(st(&ct, &other(2001, FIN, 1), &commit(0)), "+inv+trk");
    // Picked up mid-stream: an ACK opens, the peer's ACK establishes.
    assert_eq!(
        st(
            &ct,
            &tcp_packet(A, B, 2002, 80, ACK, 100, 200, 64),
            &commit(0)
        ),
        "+new+trk"
    );
    assert_eq!(
        st(
            &ct,
            &tcp_packet(B, A, 80, 2002, ACK, 200, 164, 64),
            &commit(0)
        ),
        "+est+rpl+trk"
    );
    let lines = dump(&ct);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("sport=2002,dport=80") && l.ends_with("(state=ESTABLISHED)")),
        "{lines:?}"
    );
}

#[test]
fn bad_tcp_flags_are_invalid_even_for_a_new_connection() {
    let ct = Conntrack::new();
    assert_eq!(
        st(&ct, &tcp(true, SYN | FIN, 1, 0, 0), &commit(0)),
        "+inv+trk"
    );
    handshake(&ct);
    assert_eq!(
        st(&ct, &tcp(true, SYN | RST, 1065, 0, 0), &commit(0)),
        "+inv+trk"
    );
}

#[test]
fn udp_second_packet_one_way_is_still_new_and_a_reply_establishes() {
    let ct = Conntrack::new();
    let req = udp_packet(A, B, 5353, 53);
    let rep = udp_packet(B, A, 53, 5353);
    assert_eq!(st(&ct, &req, &commit(0)), "+new+trk");
    assert_eq!(st(&ct, &req, &commit(0)), "+new+trk");
    assert_eq!(st(&ct, &rep, &commit(0)), "+est+rpl+trk");
    assert_eq!(st(&ct, &req, &commit(0)), "+est+trk");
    assert_eq!(
        dump(&ct),
        ["udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=5353,dport=53),reply=(src=10.1.1.2,dst=10.1.1.1,sport=53,dport=5353)"]
    );
}

#[test]
fn icmp_echo_request_is_new_and_reply_established() {
    let ct = Conntrack::new();
    let req = icmp_packet(A, B, icmpv4::types::ECHO_REQUEST, 0, 0, &[0; 8]);
    let rep = icmp_packet(B, A, icmpv4::types::ECHO_REPLY, 0, 0, &[0; 8]);
    let md = run(&ct, &req, &commit(0), 0);
    assert_eq!(md.state.to_string(), "+new+trk");
    // OVS 3.1: ct_tuple=(src=10.1.1.1,dst=10.1.1.2,proto=1,tp_src=8,tp_dst=0).
    let orig = md.orig.unwrap();
    assert_eq!((orig.proto, orig.src_port, orig.dst_port), (1, 8, 0));
    assert_eq!(st(&ct, &rep, &commit(0)), "+est+rpl+trk");
    assert_eq!(
        dump(&ct),
        ["icmp,orig=(src=10.1.1.1,dst=10.1.1.2,id=0,type=8,code=0),reply=(src=10.1.1.2,dst=10.1.1.1,id=0,type=0,code=0)"]
    );
}

#[test]
fn echo_reply_without_request_is_invalid() {
    let ct = Conntrack::new();
    assert_eq!(
        st(
            &ct,
            &icmp_packet(B, A, icmpv4::types::ECHO_REPLY, 0, 0, &[]),
            &commit(0)
        ),
        "+inv+trk"
    );
}

#[test]
fn icmp_error_is_related_to_the_connection_it_quotes() {
    let ct = Conntrack::new();
    let req = udp_packet(A, B, 5353, 53);
    run(&ct, &req, &commit(0), 0);
    let err = icmp_packet(B, A, icmpv4::types::DST_UNREACHABLE, 3, 0, &req.0);
    assert_eq!(st(&ct, &err, &commit(0)), "+rel+rpl+trk");
    let unknown = icmp_packet(
        B,
        A,
        icmpv4::types::DST_UNREACHABLE,
        3,
        0,
        &udp_packet(A, B, 1, 2).0,
    );
    assert_eq!(st(&ct, &unknown, &commit(0)), "+inv+trk");
    assert_eq!(ct.len(), 1);
}

/// OVS 3.1 (rel-icmp-udp scenario): an ICMP error quoting a flow conntrack
/// does not know is invalid, and its ct tuple is the quoted packet's reply
/// direction.
#[test]
fn icmp_error_about_an_unknown_flow_is_invalid_with_the_quoted_tuple_reversed() {
    let ct = Conntrack::new();
    let quoted = udp_packet(A, B, 6000, 53);
    let err = icmp_packet(B, A, icmpv4::types::DST_UNREACHABLE, 3, 0, &quoted.0);
    let md = run(&ct, &err, &commit(0), 0);
    assert_eq!(md.state.to_string(), "+inv+trk");
    let orig = md.orig.expect("the quoted tuple");
    assert_eq!(
        (orig.src, orig.dst, orig.proto, orig.src_port, orig.dst_port),
        (B.parse().unwrap(), A.parse().unwrap(), 17, 53, 6000)
    );
    assert_eq!(ct.len(), 0);
}

#[test]
fn icmpv6_echo_and_error_are_tracked() {
    let ct = Conntrack::new();
    let (a, b) = ("2001:db8::1", "2001:db8::2");
    assert_eq!(
        st(
            &ct,
            &icmp_packet(a, b, icmpv6::types::ECHO_REQUEST, 0, 7, &[1]),
            &commit(0)
        ),
        "+new+trk"
    );
    assert_eq!(
        st(
            &ct,
            &icmp_packet(b, a, icmpv6::types::ECHO_REPLY, 0, 7, &[1]),
            &commit(0)
        ),
        "+est+rpl+trk"
    );
    let syn = tcp_packet(a, b, 40000, 80, SYN, 1, 0, 0);
    assert_eq!(st(&ct, &syn, &commit(0)), "+new+trk");
    let err = icmp_packet(b, a, icmpv6::types::PACKET_TOO_BIG, 0, 0, &syn.0);
    assert_eq!(st(&ct, &err, &commit(0)), "+rel+rpl+trk");
    assert!(dump(&ct).iter().any(
        |l| l.starts_with("icmpv6,orig=(src=2001:db8::1,dst=2001:db8::2,id=7,type=128,code=0)")
    ));
}

#[test]
fn malformed_packets_are_invalid_without_a_tuple() {
    let ct = Conntrack::new();
    let (mut bad_sum, l3) = udp_packet(A, B, 1, 2);
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 0x55;
    let md = run(&ct, &(bad_sum.clone(), l3), &commit(3), 0);
    assert_eq!(
        (md.state.to_string(), md.zone, md.orig),
        ("+inv+trk".to_string(), 3, None)
    );
    let truncated = (tcp(true, SYN, 1, 0, 0).0[..25].to_vec(), L3::Ipv4);
    assert_eq!(st(&ct, &truncated, &commit(0)), "+inv+trk");
    assert_eq!(st(&ct, &udp_packet(A, B, 0, 2), &commit(0)), "+inv+trk");
    assert_eq!(st(&ct, &(vec![0x45], L3::Ipv4), &commit(0)), "+inv+trk");
    assert!(ct.is_empty());
    ct.set_checksum_verify(false);
    assert_eq!(st(&ct, &(bad_sum, l3), &commit(3)), "+new+trk");
}

#[test]
fn force_replaces_a_connection_seen_from_its_reply_side() {
    let ct = Conntrack::new();
    run(&ct, &udp_packet(A, B, 1000, 2000), &commit(0), 0);
    let forced = ExecuteParams {
        force: true,
        ..commit(0)
    };
    assert_eq!(st(&ct, &udp_packet(A, B, 1000, 2000), &forced), "+new+trk");
    assert_eq!(st(&ct, &udp_packet(B, A, 2000, 1000), &forced), "+new+trk");
    assert_eq!(
        dump(&ct),
        ["udp,orig=(src=10.1.1.2,dst=10.1.1.1,sport=2000,dport=1000),reply=(src=10.1.1.1,dst=10.1.1.2,sport=1000,dport=2000)"]
    );
}

#[test]
fn mark_and_label_are_written_through_masks_only_on_commit() {
    let ct = Conntrack::new();
    let pkt = udp_packet(A, B, 1000, 2000);
    let first = ExecuteParams {
        mark: Some(Masked {
            value: 0x5,
            mask: 0xff,
        }),
        label: Some(Masked {
            value: 1,
            mask: u128::MAX,
        }),
        ..commit(5)
    };
    let md = run(&ct, &pkt, &first, 0);
    assert_eq!((md.mark, md.label), (0x5, 1));
    let remark = ExecuteParams {
        mark: Some(Masked {
            value: 0x60,
            mask: 0xf0,
        }),
        label: Some(Masked {
            value: 0xff << 120,
            mask: 0xff << 120,
        }),
        ..commit(5)
    };
    let md = run(&ct, &pkt, &remark, 0);
    assert_eq!((md.mark, md.label), (0x65, 0xff << 120 | 1));
    let no_commit = ExecuteParams {
        commit: false,
        mark: Some(Masked { value: 9, mask: !0 }),
        ..lookup(5)
    };
    assert_eq!(run(&ct, &pkt, &no_commit, 0).mark, 0x65);
    assert_eq!(dump(&ct)[0], "udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=1000,dport=2000),reply=(src=10.1.1.2,dst=10.1.1.1,sport=2000,dport=1000),zone=5,mark=101,labels=0xff000000000000000000000000000001");
}

#[test]
fn uncommitted_lookup_leaves_no_state() {
    let ct = Conntrack::new();
    assert_eq!(st(&ct, &tcp(true, SYN, 1, 0, 0), &lookup(0)), "+new+trk");
    assert!(ct.is_empty());
    assert_eq!(st(&ct, &tcp(true, SYN, 1, 0, 0), &lookup(0)), "+new+trk");
}

#[test]
fn commit_by_an_earlier_packet_is_seen_later_in_the_same_batch() {
    let ct = Conntrack::new();
    let (syn, synack) = (
        tcp(true, SYN, 1000, 0, 0),
        tcp(false, SYN | ACK, 5000, 1001, 0),
    );
    let mut batch = [
        CtPacket::new(&syn.0, 0, L3::Ipv4),
        CtPacket::new(&synack.0, 0, L3::Ipv4),
    ];
    ct.execute(&mut batch, &commit(0), 0);
    assert_eq!(
        batch.map(|p| p.md.state.to_string()),
        ["+new+trk", "+est+rpl+trk"]
    );
}

#[test]
fn interleaved_connections_in_one_batch_each_see_their_own_order() {
    let ct = Conntrack::new();
    let mut frames = Vec::new();
    for port in 1000..1016u16 {
        frames.push(tcp_packet(A, B, port, 80, SYN, 1000, 0, 0));
    }
    for port in 1000..1016u16 {
        frames.push(tcp_packet(B, A, 80, port, SYN | ACK, 5000, 1001, 0));
    }
    let states = batch_states(&ct, &frames, &commit(0));
    assert!(states[..16].iter().all(|s| s == "+new+trk"), "{states:?}");
    assert!(
        states[16..].iter().all(|s| s == "+est+rpl+trk"),
        "{states:?}"
    );
}

#[test]
fn zones_keep_identical_tuples_apart() {
    let ct = Conntrack::new();
    let pkt = udp_packet(A, B, 1000, 2000);
    assert_eq!(st(&ct, &pkt, &commit(5)), "+new+trk");
    assert_eq!(st(&ct, &pkt, &commit(7)), "+new+trk");
    assert_eq!(
        run(&ct, &udp_packet(B, A, 2000, 1000), &lookup(7), 0).zone,
        7
    );
    assert_eq!(ct.dump(Some(7), 0).len(), 1);
    assert_eq!(
        ct.zone_counts().into_iter().collect::<Vec<_>>(),
        [(5, 1), (7, 1)]
    );
}

#[test]
fn global_limit_refuses_commits_that_stay_new() {
    let ct = Conntrack::new();
    ct.set_global_limit(1);
    assert_eq!(st(&ct, &udp_packet(A, B, 1, 2), &commit(0)), "+new+trk");
    assert_eq!(st(&ct, &udp_packet(A, B, 3, 4), &commit(0)), "+new+trk");
    assert_eq!(ct.len(), 1);
    assert_eq!(st(&ct, &udp_packet(A, B, 3, 4), &commit(0)), "+new+trk");
    assert_eq!(ct.zone_stats(0).refused, 2);
}

/// Shards count their connections with an ALG helper, through every way
/// a connection goes: the count decides whether a batch may be handled
/// shard by shard.
#[test]
fn shards_count_their_helper_connections() {
    let ct = Conntrack::new();
    let any_helpers = |ct: &Conntrack| ct.outside.iter().any(|o| o.has_helpers());
    let ftp = ExecuteParams {
        helper: Some(crate::conn::Helper::Ftp),
        ..commit(0)
    };
    run(&ct, &tcp_packet(A, B, 40000, 21, SYN, 1, 0, 0), &ftp, 0);
    run(
        &ct,
        &tcp_packet(A, B, 40001, 80, SYN, 1, 0, 0),
        &commit(0),
        0,
    );
    assert!(any_helpers(&ct));
    ct.flush(&FlushFilter::zone(0));
    assert!(!any_helpers(&ct));
    run(&ct, &tcp_packet(A, B, 40000, 21, SYN, 1, 0, 0), &ftp, 0);
    ct.flush(&FlushFilter::default());
    assert!(!any_helpers(&ct));
    run(&ct, &tcp_packet(A, B, 40000, 21, SYN, 1, 0, 0), &ftp, 0);
    ct.flush(&FlushFilter {
        zone: Some(0),
        proto: Some(6),
        orig: Some(TupleMatch {
            src: Some(A.parse().unwrap()),
            dst: Some(B.parse().unwrap()),
            src_port: Some(40000),
            dst_port: Some(21),
            ..TupleMatch::default()
        }),
        ..FlushFilter::default()
    });
    assert!(!any_helpers(&ct));
    // Expired and swept.
    run(&ct, &tcp_packet(A, B, 40000, 21, SYN, 1, 0, 0), &ftp, 0);
    ct.sweep(3_600_000, usize::MAX);
    assert!(!any_helpers(&ct));
}

/// Near a limit, a batch's commits are taken in arrival order, whichever
/// shards they fall in: the ones past the limit are the last ones.
#[test]
fn a_limit_refuses_the_last_commits_of_a_batch() {
    for limit in [1, 3, 20] {
        let ct = Conntrack::new();
        ct.set_zone_limit(4, Some(limit));
        let frames: Vec<Pkt> = (0..32u16).map(|p| udp_packet(A, B, 1000 + p, 53)).collect();
        batch_states(&ct, &frames, &commit(4));
        let mut ports: Vec<u16> = ct
            .dump(Some(4), 0)
            .iter()
            .filter_map(|e| match e.orig.l4 {
                TupleL4::Ports { sport, .. } => Some(sport),
                TupleL4::Icmp { .. } => None,
            })
            .collect();
        ports.sort_unstable();
        let first: Vec<u16> = (1000..1000 + limit as u16).collect();
        assert_eq!(ports, first, "limit {limit}");
    }
}

/// Far from any limit, the batch is handled shard by shard; connections
/// still see their own packets in order, and other connections' packets
/// in between change nothing.
#[test]
fn shard_by_shard_keeps_each_connections_order() {
    let ct = Conntrack::new();
    let mut frames = Vec::new();
    for port in 2000..2010u16 {
        frames.push(tcp_packet(A, B, port, 80, SYN, 1000, 0, 0));
        frames.push(udp_packet(A, B, port, 53));
        frames.push(tcp_packet(B, A, 80, port, SYN | ACK, 5000, 1001, 0));
    }
    let states = batch_states(&ct, &frames, &commit(0));
    for trio in states.chunks(3) {
        assert_eq!(trio, ["+new+trk", "+new+trk", "+est+rpl+trk"], "{states:?}");
    }
    // Counted exactly: the room taken ahead for the pass (every packet
    // that found no entry) is given back where no commit used it.
    assert_eq!(ct.len(), 20);
    assert_eq!(ct.zone_stats(0).count, 20);
}

/// OVS 3.1 (`dpctl/ct-set-limits zone=5,limit=1`): a refused commit is
/// still new|trk and leaves nothing behind; `ct-get-limits` counts 1.
#[test]
fn zone_limits_apply_per_zone_with_a_default_and_overrides() {
    let ct = Conntrack::new();
    ct.set_default_zone_limit(1);
    ct.set_zone_limit(9, Some(2));
    for port in 1..=3 {
        run(&ct, &udp_packet(A, B, port, 53), &commit(8), 0);
        run(&ct, &udp_packet(A, B, port, 53), &commit(9), 0);
    }
    assert_eq!(
        ct.zone_stats(8),
        ZoneStats {
            zone: 8,
            count: 1,
            limit: 1,
            own_limit: false,
            refused: 2
        }
    );
    assert_eq!(
        ct.zone_stats(9),
        ZoneStats {
            zone: 9,
            count: 2,
            limit: 2,
            own_limit: true,
            refused: 1
        }
    );
}

#[test]
fn zone_timeout_policy_expires_its_connections_early() {
    let ct = Conntrack::new();
    ct.set_timeout_policy(
        1,
        TimeoutPolicy::with(&[(PolicyAttr::UdpFirst, 5)]).unwrap(),
    )
    .unwrap();
    ct.bind_zone_timeout_policy(5, Some(1));
    let pkt = udp_packet(A, B, 1000, 2000);
    run(&ct, &pkt, &commit(5), 0);
    run(&ct, &pkt, &commit(6), 0);
    assert_eq!(ct.sweep(10_000, usize::MAX).expired, 1);
    assert_eq!(ct.zone_counts().into_iter().collect::<Vec<_>>(), [(6, 1)]);
    assert_eq!(st(&ct, &pkt, &lookup(6)), "+new+trk");
    assert_eq!(
        run(&ct, &udp_packet(B, A, 2000, 1000), &lookup(6), 10_000)
            .state
            .to_string(),
        "+est+rpl+trk"
    );
    assert_eq!(
        run(&ct, &pkt, &lookup(5), 10_000).state.to_string(),
        "+new+trk"
    );
}

#[test]
fn zone_zero_policy_is_the_fallback_and_changes_apply_to_later_commits() {
    let ct = Conntrack::new();
    ct.set_timeout_policy(
        1,
        TimeoutPolicy::with(&[(PolicyAttr::UdpFirst, 5)]).unwrap(),
    )
    .unwrap();
    ct.bind_zone_timeout_policy(0, Some(1));
    run(&ct, &udp_packet(A, B, 1, 2), &commit(4), 0);
    ct.set_timeout_policy(
        1,
        TimeoutPolicy::with(&[(PolicyAttr::UdpFirst, 50)]).unwrap(),
    )
    .unwrap();
    run(&ct, &udp_packet(A, B, 3, 4), &commit(4), 0);
    let mut timeouts: Vec<u32> = ct.dump(None, 0).iter().filter_map(|e| e.timeout).collect();
    timeouts.sort();
    assert_eq!(timeouts, [5, 50]);
    assert!(TimeoutPolicy::with(&[(PolicyAttr::TcpEstablished, 0)]).is_err());
}

#[test]
fn expiry_removes_idle_connections_but_not_refreshed_ones() {
    let ct = Conntrack::new();
    let idle = udp_packet(A, B, 1, 2);
    let busy = udp_packet(A, B, 3, 4);
    run(&ct, &idle, &commit(0), 0);
    run(&ct, &busy, &commit(0), 0);
    run(&ct, &udp_packet(B, A, 4, 3), &lookup(0), 50_000);
    // Idle: 60 s first-packet timer; busy: refreshed at 50 s for 30 s.
    assert_eq!(ct.sweep(61_000, usize::MAX).expired, 1);
    assert_eq!(ct.len(), 1);
    assert_eq!(ct.sweep(79_000, usize::MAX).expired, 0);
    assert_eq!(ct.sweep(81_000, usize::MAX).expired, 1);
    assert!(ct.is_empty());
}

#[test]
fn a_timer_shortened_by_a_refresh_comes_due_at_its_new_time() {
    let ct = Conntrack::new();
    run(&ct, &udp_packet(A, B, 1, 2), &commit(0), 0);
    // Answered at once: the first packet's 60 s become 30 s.
    run(&ct, &udp_packet(B, A, 2, 1), &lookup(0), 1_000);
    assert_eq!(ct.sweep(30_000, usize::MAX).expired, 0);
    assert_eq!(ct.sweep(33_000, usize::MAX).expired, 1);
    assert!(ct.is_empty());
    // The stale filing under the 60 s tick is passed over, and a
    // connection reusing the slot is not expired early through it.
    run(&ct, &udp_packet(A, B, 5, 6), &commit(0), 40_000);
    assert_eq!(ct.sweep(62_000, usize::MAX).expired, 0);
    assert_eq!(ct.len(), 1);
    assert_eq!(ct.sweep(101_000, usize::MAX).expired, 1);
}

#[test]
fn expired_connection_is_new_again_even_before_a_sweep() {
    let ct = Conntrack::new();
    let pkt = udp_packet(A, B, 1, 2);
    run(&ct, &pkt, &commit(0), 0);
    assert_eq!(
        run(&ct, &pkt, &commit(0), 60_001).state.to_string(),
        "+new+trk"
    );
    assert_eq!(ct.len(), 1);
}

#[test]
fn sweep_with_a_small_budget_finishes_over_several_steps() {
    let ct = Conntrack::new();
    for port in 1..=500 {
        run(&ct, &udp_packet(A, B, port, 9), &commit(0), 0);
    }
    let mut steps = 0;
    let mut expired = 0;
    loop {
        let r = ct.sweep(1_000_000, 64);
        expired += r.expired;
        steps += 1;
        if !r.more {
            break;
        }
    }
    assert_eq!(expired, 500);
    assert!(steps > 1);
    assert!(ct.is_empty());
}

fn filled() -> Conntrack {
    let ct = Conntrack::new();
    for (zone, mark, port) in [(1u16, 0x11u32, 1u16), (1, 0x22, 2), (2, 0x11, 3)] {
        let params = ExecuteParams {
            mark: Some(Masked {
                value: mark,
                mask: !0,
            }),
            label: Some(Masked {
                value: u128::from(mark),
                mask: !0,
            }),
            ..commit(zone)
        };
        run(&ct, &udp_packet(A, B, port, 53), &params, 0);
    }
    ct
}

#[test]
fn flush_all_and_flush_by_zone() {
    let ct = filled();
    assert_eq!(ct.flush(&FlushFilter::zone(1)), 2);
    assert_eq!(ct.zone_stats(1).count, 0);
    assert_eq!(ct.flush(&FlushFilter::default()), 1);
    assert!(ct.is_empty());
}

#[test]
fn flush_by_full_and_partial_original_tuple() {
    let ct = filled();
    let full = TupleMatch {
        src: A.parse().ok(),
        dst: B.parse().ok(),
        src_port: Some(2),
        dst_port: Some(53),
        ..TupleMatch::default()
    };
    assert_eq!(
        ct.flush(&FlushFilter {
            zone: Some(1),
            proto: Some(17),
            orig: Some(full),
            ..FlushFilter::default()
        }),
        1
    );
    let partial = TupleMatch {
        dst_port: Some(53),
        ..TupleMatch::default()
    };
    assert_eq!(
        ct.flush(&FlushFilter {
            zone: Some(2),
            orig: Some(partial),
            ..FlushFilter::default()
        }),
        1
    );
    assert_eq!(ct.len(), 1);
}

#[test]
fn flush_by_full_tuple_finds_the_connection_from_its_reply_side_too() {
    let ct = filled();
    let reply_side = TupleMatch {
        src: B.parse().ok(),
        dst: A.parse().ok(),
        src_port: Some(53),
        dst_port: Some(3),
        ..TupleMatch::default()
    };
    assert_eq!(
        ct.flush(&FlushFilter {
            zone: Some(2),
            proto: Some(17),
            orig: Some(reply_side),
            ..FlushFilter::default()
        }),
        1
    );
    assert_eq!(ct.zone_counts().get(&2), None);
}

#[test]
fn flush_by_reply_tuple() {
    let ct = filled();
    let reply = TupleMatch {
        src_port: Some(53),
        dst_port: Some(3),
        ..TupleMatch::default()
    };
    assert_eq!(
        ct.flush(&FlushFilter {
            reply: Some(reply),
            ..FlushFilter::default()
        }),
        1
    );
    assert_eq!(ct.zone_counts().get(&2), None);
}

#[test]
fn flush_by_mark_and_by_labels_under_mask() {
    let ct = filled();
    assert_eq!(
        ct.flush(&FlushFilter {
            mark: Some(Masked {
                value: 0x10,
                mask: 0xf0
            }),
            ..FlushFilter::default()
        }),
        2
    );
    assert_eq!(
        ct.flush(&FlushFilter {
            labels: Some(Masked {
                value: 0x2,
                mask: 0xf
            }),
            ..FlushFilter::default()
        }),
        1
    );
    assert!(ct.is_empty());
}

#[test]
fn inserted_entry_is_found_by_later_packets() {
    let ct = Conntrack::new();
    let entry: ConnEntry = crate::parse::parse_dump_line(
        "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=1234,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=1234),zone=3,mark=7,protoinfo=(state=ESTABLISHED)",
    )
    .unwrap();
    ct.insert(&entry, 0).unwrap();
    let md = run(&ct, &tcp(false, ACK, 42, 4242, 10), &lookup(3), 0);
    assert_eq!(
        (md.state.to_string(), md.mark),
        ("+est+rpl+trk".to_string(), 7)
    );
    assert!(ct.insert(&entry, 0).is_err());
    assert_eq!(ct.dump(None, 0)[0].to_string(), entry.to_string());
}

#[test]
fn two_threads_track_their_own_connections() {
    let ct = Conntrack::new();
    std::thread::scope(|s| {
        for t in 0..2u16 {
            let ct = &ct;
            s.spawn(move || {
                for port in 1..=2000u16 {
                    let pkt = udp_packet(A, B, port, 100 + t);
                    assert_eq!(run(ct, &pkt, &commit(0), 0).state.to_string(), "+new+trk");
                }
            });
        }
    });
    assert_eq!(ct.len(), 4000);
    assert_eq!(ct.dump(None, 0).len(), 4000);
}

#[test]
fn helper_is_recorded_on_commit_and_dumped() {
    let ct = Conntrack::new();
    let params = ExecuteParams {
        helper: Some(crate::conn::Helper::Ftp),
        ..commit(0)
    };
    run(&ct, &tcp(true, SYN, 1, 0, 0), &params, 0);
    assert!(
        dump(&ct)[0].ends_with("protoinfo=(state=SYN_SENT),helper=ftp"),
        "{:?}",
        dump(&ct)
    );
}

#[test]
fn ipv6_extension_headers_are_walked_to_the_transport_header() {
    use crate::extract::tests::ip_packet;
    use crate::wire::{ip_proto, udp};
    let (a, b) = ("2001:db8::1", "2001:db8::2");
    let plain = udp_packet(a, b, 7000, 53);
    // The same datagram behind a hop-by-hop and a destination-options header.
    let udp_bytes = &plain.0[40..];
    let mut ext = vec![ip_proto::IPV6_DSTOPTS, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[ip_proto::UDP, 0, 1, 4, 0, 0, 0, 0]);
    ext.extend_from_slice(udp_bytes);
    let wrapped = ip_packet(a, b, ip_proto::HOPOPTS, &ext);
    assert_eq!(udp_bytes.len(), udp::HEADER_LEN + 4);
    let ct = Conntrack::new();
    assert_eq!(st(&ct, &wrapped, &commit(0)), "+new+trk");
    assert_eq!(
        st(&ct, &udp_packet(b, a, 53, 7000), &commit(0)),
        "+est+rpl+trk"
    );
    assert_eq!(st(&ct, &plain, &commit(0)), "+est+trk");
}

#[test]
fn unknown_icmp_types_and_ip_fragments_are_invalid() {
    let ct = Conntrack::new();
    let (router_advert, l3) = icmp_packet(A, B, 9, 0, 0, &[0; 8]);
    assert_eq!(st(&ct, &(router_advert, l3), &commit(0)), "+inv+trk");
    let (mut frag, l3) = udp_packet(A, B, 1, 2);
    frag[6] = 0x20; // more fragments
    crate::wire::ipv4::Packet::new_unchecked(&mut frag[..]).fill_checksum();
    assert_eq!(st(&ct, &(frag, l3), &commit(0)), "+inv+trk");
    assert!(ct.is_empty());
}

#[test]
fn other_ip_protocols_are_tracked_by_addresses() {
    use crate::extract::tests::ip_packet;
    let ct = Conntrack::new();
    let gre = 47;
    assert_eq!(
        st(&ct, &ip_packet(A, B, gre, &[0; 8]), &commit(0)),
        "+new+trk"
    );
    assert_eq!(
        st(&ct, &ip_packet(B, A, gre, &[0; 8]), &commit(0)),
        "+est+rpl+trk"
    );
    assert_eq!(dump(&ct), ["47,orig=(src=10.1.1.1,dst=10.1.1.2,sport=0,dport=0),reply=(src=10.1.1.2,dst=10.1.1.1,sport=0,dport=0)"]);
}

mod random {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn random_bytes_never_panic_the_tracker(bytes in proptest::collection::vec(any::<u8>(), 0..200), v6 in any::<bool>(), commit in any::<bool>()) {
            let ct = Conntrack::new();
            ct.set_checksum_verify(false);
            let l3 = if v6 { L3::Ipv6 } else { L3::Ipv4 };
            let mut data = bytes;
            if let Some(first) = data.first_mut() {
                *first = if v6 { 0x60 | (*first & 0x0f) } else { 0x45 };
            }
            let params = ExecuteParams { commit, ..ExecuteParams::default() };
            for _ in 0..2 {
                let mut batch = [CtPacket::new(&data, 0, l3)];
                ct.execute(&mut batch, &params, 0);
                prop_assert!(batch[0].md.state.contains(CtState::TRACKED));
            }
        }

        #[test]
        fn random_tcp_segments_never_panic(segs in proptest::collection::vec((any::<bool>(), any::<u16>(), any::<u32>(), any::<u32>(), 0usize..40), 1..20)) {
            let ct = Conntrack::new();
            for (from_a, f, seq, ack, len) in segs {
                let pkt = tcp(from_a, f & 0x3f, seq, ack, len);
                run(&ct, &pkt, &commit(0), 0);
            }
            prop_assert!(ct.len() <= 1);
        }
    }
}
