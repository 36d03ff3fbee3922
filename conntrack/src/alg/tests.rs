//! The ALGs through the tracker, packet by packet. States, tuples, marks
//! and dumps marked "OVS 3.1" were checked against OVS 3.1.0's userspace
//! tracker (tests/scenarios/alg-*.scn); OVS's dummy-port harness refuses
//! to rewrite FTP payloads ("Unsupported effective MTU"), so the
//! rewrites follow the rules of its source and of RFC 959/2428.

use std::net::IpAddr;

use crate::alg::Edit;
use crate::conn::Helper;
use crate::extract::L3;
use crate::params::{CtMetadata, CtPacket, ExecuteParams, Masked, NatAction, NatKind};
use crate::tracker::Conntrack;
use crate::wire::tcp::flags::{ACK, PSH, SYN};
use crate::wire::{compose, ipv4, tcp};
use crate::{FlushFilter, OrigTuple};

const C: &str = "10.1.1.1";
const S: &str = "10.1.1.2";
const NAT: &str = "172.16.100.200";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[allow(clippy::too_many_arguments)]
fn seg(
    src: &str,
    sp: u16,
    dst: &str,
    dp: u16,
    flags: u16,
    seq: u32,
    ack: u32,
    data: &str,
) -> Vec<u8> {
    let repr = tcp::Repr {
        src_port: sp,
        dst_port: dp,
        seq_number: seq,
        ack_number: ack,
        flags,
        window_len: 65535,
        window_scale: None,
        payload_len: 0,
    };
    compose::tcp_packet_with(ip(src), ip(dst), &repr, data.as_bytes()).unwrap()
}

/// One packet through `params`: its metadata and the bytes it leaves
/// with (NAT's rewrite and the ALG's edit applied).
fn run(
    ct: &Conntrack,
    pkt: &[u8],
    params: &ExecuteParams,
    now: u64,
) -> (CtMetadata, Vec<u8>, Option<Edit>) {
    let family = if pkt[0] >> 4 == 4 { L3::Ipv4 } else { L3::Ipv6 };
    let mut batch = [CtPacket::new(pkt, 0, family)];
    ct.execute(&mut batch, params, now);
    let [p] = batch;
    let mut out = pkt.to_vec();
    if let Some(r) = p.rewrite {
        r.apply(&mut out, family).unwrap();
    }
    if let Some(e) = &p.alg {
        e.apply(&mut out, 0, family).unwrap();
    }
    (p.md, out, p.alg.map(|e| *e))
}

fn state(md: &CtMetadata) -> String {
    md.state.to_string()
}

/// The TCP payload, sequence and acknowledgement numbers of an IPv4
/// segment, checksums verified.
fn tcp_of(pkt: &[u8]) -> (String, u32, u32) {
    let ip = ipv4::Packet::new_checked(pkt).unwrap();
    assert!(ip.verify_checksum());
    assert_eq!(usize::from(ip.total_len()), pkt.len());
    let t = tcp::Packet::new_checked(ip.payload()).unwrap();
    assert!(t.verify_checksum(&ip.src_bytes(), &ip.dst_bytes()));
    (
        String::from_utf8_lossy(t.payload()).into_owned(),
        t.seq_number(),
        t.ack_number(),
    )
}

fn ftp_commit(nat: Option<NatAction>) -> ExecuteParams {
    ExecuteParams {
        commit: true,
        helper: Some(Helper::Ftp),
        nat,
        ..ExecuteParams::default()
    }
}

fn snat(addr: &str) -> NatAction {
    NatAction {
        kind: Some(NatKind::Src),
        addr_min: Some(ip(addr)),
        addr_max: None,
        port_min: None,
        port_max: None,
        persistent: false,
        random: false,
    }
}

fn bare_nat() -> ExecuteParams {
    ExecuteParams {
        nat: Some(NatAction {
            kind: None,
            addr_min: None,
            addr_max: None,
            port_min: None,
            port_max: None,
            persistent: false,
            random: false,
        }),
        ..ExecuteParams::default()
    }
}

fn commit_nat() -> ExecuteParams {
    ExecuteParams {
        commit: true,
        ..bare_nat()
    }
}

/// The control connection's handshake: client `C`:40000 to `S`:21, the
/// server answering to `seen` (the client's address after SNAT).
fn handshake(ct: &Conntrack, params: &ExecuteParams, seen: &str) {
    let (md, ..) = run(ct, &seg(C, 40000, S, 21, SYN, 1000, 0, ""), params, 0);
    assert!(state(&md).starts_with("+new+trk"), "{md:?}");
    let (md, ..) = run(
        ct,
        &seg(S, 21, seen, 40000, SYN | ACK, 5000, 1001, ""),
        params,
        0,
    );
    assert!(md.state.to_string().starts_with("+est+rpl+trk"), "{md:?}");
    run(ct, &seg(C, 40000, S, 21, ACK, 1001, 5001, ""), params, 0);
}

/// A batch is handled in arrival order where an ALG is involved: the data
/// connection announced by an earlier packet of the same batch is related,
/// whichever shards the two connections hash to.
#[test]
fn a_data_connection_announced_earlier_in_the_same_batch_is_related() {
    for port in 0..16u16 {
        let ct = Conntrack::new();
        handshake(&ct, &ftp_commit(None), C);
        let data = 50_000 + port;
        let reply = format!(
            "227 Entering Passive Mode (10,1,1,2,{},{}).\r\n",
            data >> 8,
            data & 0xff
        );
        let frames = [
            seg(S, 21, C, 40000, PSH | ACK, 5001, 1001, &reply),
            seg(C, 50009, S, data, SYN, 6000, 0, ""),
        ];
        let mut batch = frames.each_ref().map(|f| CtPacket::new(f, 0, L3::Ipv4));
        ct.execute(&mut batch, &ExecuteParams::default(), 0);
        assert_eq!(
            batch.map(|p| state(&p.md)),
            ["+est+rpl+trk", "+new+rel+trk"],
            "data port {data}"
        );
    }
}

#[test]
fn passive_data_connection_is_related_with_the_masters_mark_label_and_tuple() {
    // OVS 3.1 (alg-ftp-passive4.scn).
    let ct = Conntrack::new();
    let control = ExecuteParams {
        mark: Some(Masked {
            value: 0x2a,
            mask: u32::MAX,
        }),
        label: Some(Masked {
            value: 5,
            mask: u128::MAX,
        }),
        ..ftp_commit(None)
    };
    handshake(&ct, &control, C);
    let reply = "227 Entering Passive Mode (10,1,1,2,195,80).\r\n";
    let (md, out, edit) = run(
        &ct,
        &seg(S, 21, C, 40000, PSH | ACK, 5001, 1001, reply),
        &ExecuteParams::default(),
        0,
    );
    assert_eq!(state(&md), "+est+rpl+trk");
    assert_eq!(edit, None);
    assert_eq!(tcp_of(&out).0, reply);
    // Not committed: +new+rel with the master's tuple, mark and label.
    let lookup = ExecuteParams::default();
    let (md, ..) = run(&ct, &seg(C, 50009, S, 50000, SYN, 6000, 0, ""), &lookup, 0);
    assert_eq!(state(&md), "+new+rel+trk");
    assert_eq!((md.mark, md.label), (0x2a, 5));
    let master = crate::ConnKey::new(ip(C), ip(S), 6, 40000, 21, 0);
    assert_eq!(md.orig, Some(OrigTuple::from(&master)));
    // Committed: +est+rel on, in both directions; the mark is inherited.
    let commit = ExecuteParams {
        commit: true,
        ..lookup
    };
    let (md, ..) = run(&ct, &seg(C, 50001, S, 50000, SYN, 7000, 0, ""), &commit, 0);
    assert_eq!(state(&md), "+new+rel+trk");
    let (md, ..) = run(
        &ct,
        &seg(S, 50000, C, 50001, SYN | ACK, 9000, 7001, ""),
        &lookup,
        0,
    );
    assert_eq!(state(&md), "+est+rel+rpl+trk");
    assert_eq!(md.orig, Some(OrigTuple::from(&master)));
    let (md, ..) = run(
        &ct,
        &seg(C, 50001, S, 50000, ACK, 7001, 9001, ""),
        &lookup,
        0,
    );
    assert_eq!(state(&md), "+est+rel+trk");
    let mut dump: Vec<String> = ct.dump(None, 0).iter().map(ToString::to_string).collect();
    dump.sort();
    assert_eq!(
        dump[1],
        "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=50001,dport=50000),\
         reply=(src=10.1.1.2,dst=10.1.1.1,sport=50000,dport=50001),mark=42,labels=0x5,\
         protoinfo=(state=ESTABLISHED)"
    );
    // The expectation serves another data connection, and is listed.
    let (md, ..) = run(&ct, &seg(C, 50002, S, 50000, SYN, 8000, 0, ""), &lookup, 0);
    assert_eq!(state(&md), "+new+rel+trk");
    let exps: Vec<String> = ct
        .expectations(None, 0)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        exps,
        ["tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=0,dport=50000),\
          master=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=21),timeout=300,helper=ftp"]
    );
    // A flush takes the master, and its expectation with it.
    ct.flush(&FlushFilter::default());
    let (md, ..) = run(&ct, &seg(C, 50003, S, 50000, SYN, 7000, 0, ""), &lookup, 0);
    assert_eq!(state(&md), "+new+trk");
    assert!(ct.expectations(None, 0).is_empty());
}

#[test]
fn active_mode_under_snat_rewrites_port_and_shifts_the_stream() {
    let ct = Conntrack::new();
    handshake(&ct, &ftp_commit(Some(snat(NAT))), NAT);
    let nat = bare_nat();
    let port = "PORT 10,1,1,1,195,80\r\n";
    let (md, out, _) = run(
        &ct,
        &seg(C, 40000, S, 21, PSH | ACK, 1001, 5001, port),
        &nat,
        0,
    );
    assert_eq!(state(&md), "+est+trk+snat");
    assert_eq!(
        tcp_of(&out),
        ("PORT 172,16,100,200,195,80\r\n".into(), 1001, 5001)
    );
    // The server acknowledges the 28 bytes it got; the client sees 22.
    let reply = "200 PORT command successful.\r\n";
    let (md, out, _) = run(
        &ct,
        &seg(S, 21, NAT, 40000, PSH | ACK, 5001, 1029, reply),
        &nat,
        0,
    );
    assert_eq!(state(&md), "+est+rpl+trk+dnat");
    let (_, seq, ack) = tcp_of(&out);
    assert_eq!((seq, ack), (5001, 1023));
    // The client's next segment is 6 further on for the server.
    let (_, out, _) = run(
        &ct,
        &seg(C, 40000, S, 21, PSH | ACK, 1023, 5031, "RETR f\r\n"),
        &nat,
        0,
    );
    assert_eq!(tcp_of(&out), ("RETR f\r\n".into(), 1029, 5031));
    // A retransmission of the PORT segment keeps its own number and is
    // rewritten alike, and later segments keep their shift (OVS shifts
    // the retransmission too).
    let (_, out, _) = run(
        &ct,
        &seg(C, 40000, S, 21, PSH | ACK, 1001, 5031, port),
        &nat,
        0,
    );
    assert_eq!(
        tcp_of(&out),
        ("PORT 172,16,100,200,195,80\r\n".into(), 1001, 5031)
    );
    let (_, out, _) = run(&ct, &seg(C, 40000, S, 21, ACK, 1031, 5031, ""), &nat, 0);
    assert_eq!(tcp_of(&out).1, 1037);
    // The server's data connection to the SNAT address is related and
    // DNAT'd back to the client (OVS 3.1: alg-ftp-active4-snat.scn).
    let (md, ..) = run(&ct, &seg(S, 20, NAT, 50000, SYN, 9000, 0, ""), &nat, 0);
    assert_eq!(state(&md), "+new+rel+trk");
    let (md, out, _) = run(
        &ct,
        &seg(S, 20, NAT, 50000, SYN, 9000, 0, ""),
        &commit_nat(),
        0,
    );
    assert_eq!(state(&md), "+new+rel+trk+dnat");
    let to = ipv4::Packet::new_checked(&out[..]).unwrap().dst_addr();
    assert_eq!(IpAddr::from(to), ip(C));
    let (md, ..) = run(
        &ct,
        &seg(C, 50000, S, 20, SYN | ACK, 7000, 9001, ""),
        &nat,
        0,
    );
    assert_eq!(state(&md), "+est+rel+rpl+trk+snat");
}

#[test]
fn passive_mode_to_a_dnat_server_rewrites_227_and_its_acks() {
    let ct = Conntrack::new();
    let vip = "192.168.100.200";
    let dnat = NatAction {
        kind: Some(NatKind::Dst),
        addr_min: Some(ip(S)),
        ..snat(S)
    };
    let control = ftp_commit(Some(dnat));
    run(&ct, &seg(C, 40000, vip, 21, SYN, 1000, 0, ""), &control, 0);
    run(
        &ct,
        &seg(S, 21, C, 40000, SYN | ACK, 5000, 1001, ""),
        &control,
        0,
    );
    run(
        &ct,
        &seg(C, 40000, vip, 21, ACK, 1001, 5001, ""),
        &control,
        0,
    );
    let nat = bare_nat();
    let reply = "227 Entering Passive Mode (10,1,1,2,195,80).\r\n";
    let (md, out, _) = run(
        &ct,
        &seg(S, 21, C, 40000, PSH | ACK, 5001, 1001, reply),
        &nat,
        0,
    );
    assert_eq!(state(&md), "+est+rpl+trk+snat");
    assert_eq!(
        tcp_of(&out),
        (
            "227 Entering Passive Mode (192,168,100,200,195,80).\r\n".into(),
            5001,
            1001
        )
    );
    // The client acknowledges 7 more bytes than the server sent.
    let (_, out, _) = run(
        &ct,
        &seg(C, 40000, vip, 21, ACK, 1001, 5001 + 53, ""),
        &nat,
        0,
    );
    assert_eq!(tcp_of(&out).2, 5001 + 46);
    let (md, out, _) = run(
        &ct,
        &seg(C, 50001, vip, 50000, SYN, 7000, 0, ""),
        &commit_nat(),
        0,
    );
    assert_eq!(state(&md), "+new+rel+trk+dnat");
    let to = ipv4::Packet::new_checked(&out[..]).unwrap().dst_addr();
    assert_eq!(IpAddr::from(to), ip(S));
}

#[test]
fn ipv6_eprt_and_epsv_under_snat() {
    let (c, s, n) = ("fc00::1", "fc00::2", "fc00::100");
    let ct = Conntrack::new();
    let control = ftp_commit(Some(snat(n)));
    run(&ct, &seg(c, 40000, s, 21, SYN, 1000, 0, ""), &control, 0);
    run(
        &ct,
        &seg(s, 21, n, 40000, SYN | ACK, 5000, 1001, ""),
        &control,
        0,
    );
    run(&ct, &seg(c, 40000, s, 21, ACK, 1001, 5001, ""), &control, 0);
    let nat = bare_nat();
    let eprt = "EPRT |2|fc00::1|50000|\r\n";
    let (_, out, edit) = run(
        &ct,
        &seg(c, 40000, s, 21, PSH | ACK, 1001, 5001, eprt),
        &nat,
        0,
    );
    assert_eq!(edit.and_then(|e| e.splice).map(|s| s.delta()), Some(2));
    let payload = &out[out.len() - eprt.len() - 2..];
    assert_eq!(payload, b"EPRT |2|fc00::100|50000|\r\n");
    let (md, ..) = run(&ct, &seg(s, 20, n, 50000, SYN, 9000, 0, ""), &nat, 0);
    assert_eq!(state(&md), "+new+rel+trk");
    let epsv = "229 Entering Extended Passive Mode (|||50100|)\r\n";
    let (md, _, edit) = run(
        &ct,
        &seg(s, 21, n, 40000, PSH | ACK, 5001, 1027, epsv),
        &nat,
        0,
    );
    assert_eq!(state(&md), "+est+rpl+trk+dnat");
    // Nothing to rewrite, but the ack is taken back by the 2 bytes.
    assert_eq!(edit.map(|e| (e.ack, e.splice.is_none())), Some((-2, true)));
    let (md, ..) = run(
        &ct,
        &seg(c, 50001, s, 50100, SYN, 7000, 0, ""),
        &commit_nat(),
        0,
    );
    assert_eq!(state(&md), "+new+rel+trk+snat");
}

#[test]
fn bounce_and_malformed_announcements_are_invalid() {
    let ct = Conntrack::new();
    handshake(&ct, &ftp_commit(None), C);
    let lookup = ExecuteParams::default();
    let bounce = "PORT 10,9,9,9,0,25\r\n";
    let (md, ..) = run(
        &ct,
        &seg(C, 40000, S, 21, PSH | ACK, 1001, 5001, bounce),
        &lookup,
        0,
    );
    assert_eq!(state(&md), "+est+inv+trk");
    let bad = "PORT 10,1,1,1,999,1\r\n";
    let (md, ..) = run(
        &ct,
        &seg(C, 40000, S, 21, PSH | ACK, 1021, 5001, bad),
        &lookup,
        0,
    );
    assert_eq!(state(&md), "+est+inv+trk");
    assert!(ct.expectations(None, 0).is_empty());
}

#[test]
fn tftp_reply_from_any_port_is_related_in_its_zone_until_the_master_goes() {
    // OVS 3.1 (alg-tftp.scn).
    let ct = Conntrack::new();
    let params = ExecuteParams {
        commit: true,
        helper: Some(Helper::Tftp),
        zone: 3,
        ..ExecuteParams::default()
    };
    let udp = |src: &str, sp, dst: &str, dp| {
        compose::udp_packet_with(ip(src), ip(dst), sp, dp, b"\x00\x01f\x00octet\x00").unwrap()
    };
    let (md, ..) = run(&ct, &udp(C, 40000, S, 69), &params, 0);
    assert_eq!(state(&md), "+new+trk");
    let lookup = ExecuteParams {
        zone: 3,
        ..ExecuteParams::default()
    };
    let (md, ..) = run(&ct, &udp(S, 50000, C, 40000), &lookup, 10);
    assert_eq!(state(&md), "+new+rel+trk");
    // Another zone expects nothing; another client port neither.
    let (md, ..) = run(&ct, &udp(S, 50000, C, 40000), &ExecuteParams::default(), 10);
    assert_eq!(state(&md), "+new+trk");
    let (md, ..) = run(&ct, &udp(S, 50001, C, 40001), &lookup, 10);
    assert_eq!(state(&md), "+new+trk");
    assert_eq!(ct.expectations(Some(3), 10).len(), 1);
    assert!(ct.expectations(Some(4), 10).is_empty());
    // Flushing the master's zone takes its expectation with it.
    ct.flush(&FlushFilter::zone(3));
    let (md, ..) = run(&ct, &udp(S, 50002, C, 40000), &lookup, 20);
    assert_eq!(state(&md), "+new+trk");
    assert!(ct.expectations(None, 20).is_empty());
}

#[test]
fn a_control_connection_without_nat_is_never_edited() {
    let ct = Conntrack::new();
    handshake(&ct, &ftp_commit(None), C);
    let port = "PORT 10,1,1,1,195,80\r\n";
    let (md, out, edit) = run(
        &ct,
        &seg(C, 40000, S, 21, PSH | ACK, 1001, 5001, port),
        &bare_nat(),
        0,
    );
    assert_eq!(state(&md), "+est+trk");
    assert_eq!(edit, None);
    assert_eq!(tcp_of(&out).0, port);
}

#[test]
fn an_expectation_expires_after_five_minutes() {
    let ct = Conntrack::new();
    handshake(&ct, &ftp_commit(None), C);
    let reply = "227 Entering Passive Mode (10,1,1,2,195,80).\r\n";
    run(
        &ct,
        &seg(S, 21, C, 40000, PSH | ACK, 5001, 1001, reply),
        &ExecuteParams::default(),
        0,
    );
    let syn = seg(C, 50001, S, 50000, SYN, 7000, 0, "");
    let lookup = ExecuteParams::default();
    let almost = crate::alg::EXPECT_TIMEOUT_MS - 1;
    assert_eq!(state(&run(&ct, &syn, &lookup, almost).0), "+new+rel+trk");
    assert_eq!(ct.expectations(None, almost).len(), 1);
    let expired = crate::alg::EXPECT_TIMEOUT_MS;
    assert_eq!(state(&run(&ct, &syn, &lookup, expired).0), "+new+trk");
    assert!(ct.expectations(None, expired).is_empty());
}

#[test]
fn another_familys_announcement_is_ignored() {
    let (c, s) = ("fc00::1", "fc00::2");
    let ct = Conntrack::new();
    let control = ftp_commit(None);
    run(&ct, &seg(c, 40000, s, 21, SYN, 1000, 0, ""), &control, 0);
    run(
        &ct,
        &seg(s, 21, c, 40000, SYN | ACK, 5000, 1001, ""),
        &control,
        0,
    );
    run(&ct, &seg(c, 40000, s, 21, ACK, 1001, 5001, ""), &control, 0);
    let port = "PORT 10,1,1,1,195,80\r\n";
    let (md, ..) = run(
        &ct,
        &seg(c, 40000, s, 21, PSH | ACK, 1001, 5001, port),
        &control,
        0,
    );
    assert_eq!(state(&md), "+est+trk");
    assert!(ct.expectations(None, 0).is_empty());
}
