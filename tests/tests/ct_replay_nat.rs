//! `ctswitch ct-replay --commit --nat SPEC` on the NAT captures under
//! `tests/captures/nat/` (written by
//! `cargo run -p conntrack --example gen_ct_captures -- tests/captures`),
//! checked against what Open vSwitch 3.1.0's userspace tracker did with
//! the same frames.
//!
//! OVS's answers are the reports `tests/scenarios/nat-*.ovs.out`, recorded
//! with ../shared/tools/ovs-scenario from `nat-*.scn`: one
//! `ct(commit,nat(SPEC),table=1)` for every packet, then out of the other
//! port. For each packet, the `ct_state` after that `ct` must be OVS's,
//! and the packet must be rewritten to the addresses and ports OVS sent
//! (or left alone where OVS left it alone); the final dump must be OVS's.
//! The scenarios' frames must be the captures' (so that regenerating one
//! without the other fails here).
//!
//! Environment: `CTSWITCH_BIN=PATH` tests that binary.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A packet's addresses and, for TCP and UDP, ports.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tuple {
    src: IpAddr,
    dst: IpAddr,
    ports: Option<(u16, u16)>,
}

/// What OVS did with one packet.
#[derive(Debug)]
struct OvsPacket {
    frame: Vec<u8>,
    /// `ct_state` after the `ct`, in ct-replay's `+new+trk` form.
    state: String,
    /// The packet as sent; `None` if OVS sent nothing.
    sent: Option<Tuple>,
    /// Whether OVS sent ICMP or ICMPv6.
    icmp: bool,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The tuple of an Ethernet frame carrying IPv4 or IPv6 (no extension
/// headers), as the captures hold them.
fn frame_tuple(frame: &[u8]) -> Tuple {
    let (src, dst, proto, l4): (IpAddr, IpAddr, u8, usize) = match frame[12..14] {
        [0x08, 0x00] => {
            let a: [u8; 4] = frame[26..30].try_into().unwrap();
            let b: [u8; 4] = frame[30..34].try_into().unwrap();
            (
                a.into(),
                b.into(),
                frame[23],
                14 + usize::from(frame[14] & 0xf) * 4,
            )
        }
        [0x86, 0xdd] => {
            let a: [u8; 16] = frame[22..38].try_into().unwrap();
            let b: [u8; 16] = frame[38..54].try_into().unwrap();
            (a.into(), b.into(), frame[20], 54)
        }
        _ => panic!("not IP: {frame:02x?}"),
    };
    let port = |at: usize| u16::from_be_bytes([frame[at], frame[at + 1]]);
    let ports = matches!(proto, 6 | 17).then(|| (port(l4), port(l4 + 2)));
    Tuple { src, dst, ports }
}

/// A `key=value` field of a line of flow syntax.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(',')
        .find_map(|kv| kv.trim().strip_prefix(key)?.strip_prefix('='))
}

/// Parses an ovs-scenario report: its packets and its first dump.
fn ovs_report(text: &str) -> (Vec<OvsPacket>, Vec<String>) {
    let mut packets: Vec<OvsPacket> = Vec::new();
    let mut dump = Vec::new();
    let mut in_dump = false;
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("> ") {
            in_dump = cmd == "dump-conntrack";
            continue;
        }
        if in_dump {
            dump.push(line.trim().to_string());
            continue;
        }
        let line = line.trim();
        if let Some(frame) = line.strip_prefix("frame: ") {
            packets.push(OvsPacket {
                frame: hex(frame),
                state: String::new(),
                sent: None,
                icmp: false,
            });
        } else if let Some(rest) = line.strip_prefix("pass 1: ct_state=") {
            let state = rest.split(' ').next().unwrap();
            packets.last_mut().unwrap().state = format!("+{}", state.replace('|', "+"));
        } else if line.starts_with("tx p") {
            let flow = line.split_once(": ").unwrap().1;
            let addr = |v4: &str, v6: &str| -> IpAddr {
                field(flow, v4)
                    .or(field(flow, v6))
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            let ports = field(flow, "tp_src").map(|s| {
                let d = field(flow, "tp_dst").unwrap();
                (s.parse().unwrap(), d.parse().unwrap())
            });
            let p = packets.last_mut().unwrap();
            p.icmp = flow.starts_with("icmp");
            p.sent = Some(Tuple {
                src: addr("nw_src", "ipv6_src"),
                dst: addr("nw_dst", "ipv6_dst"),
                ports,
            });
        }
    }
    (packets, dump)
}

/// ct-replay's rewritten-packet summary: `udp 192.168.0.10:5000 >
/// 10.1.1.2:53`, `tcp [fd00::100]:5000 > [fd00::2]:80`, `icmp A > B id=7`.
fn summary_tuple(summary: &str) -> Tuple {
    let mut words = summary.split(' ');
    let proto = words.next().unwrap();
    let (src, dst) = (words.next().unwrap(), words.nth(1).unwrap());
    let endpoint = |s: &str| -> (IpAddr, Option<u16>) {
        if proto.starts_with("icmp") {
            return (s.parse().unwrap(), None);
        }
        let (addr, port) = s.rsplit_once(':').unwrap();
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        (addr.parse().unwrap(), Some(port.parse().unwrap()))
    };
    let ((src, sport), (dst, dport)) = (endpoint(src), endpoint(dst));
    Tuple {
        src,
        dst,
        ports: sport.zip(dport),
    }
}

fn replay(capture: &Path, nat: &str) -> String {
    let out = Command::new(ctswitch_tests::ctswitch())
        .args(["ct-replay", "--commit", "--nat", nat])
        .arg(capture)
        .output()
        .expect("cannot run ctswitch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Replays the capture scenario `name` names through the NAT of its
/// flow and compares every packet and the dump with OVS's report.
fn matches_ovs(name: &str) {
    let scn = std::fs::read_to_string(format!("{ROOT}/scenarios/{name}.scn")).unwrap();
    let capture = scn
        .lines()
        .find_map(|l| l.strip_prefix("# Frames: tests/")?.split(' ').next())
        .unwrap();
    let nat = scn
        .lines()
        .find_map(|l| l.split_once("nat(")?.1.split_once("),table=1)"))
        .unwrap()
        .0;
    let report = std::fs::read_to_string(format!("{ROOT}/scenarios/{name}.ovs.out")).unwrap();
    let (ovs, dump) = ovs_report(&report);
    let pcap = std::fs::read(format!("{ROOT}/{capture}")).unwrap();
    let frames = pcap_frames(&pcap);
    assert_eq!(
        frames,
        ovs.iter().map(|p| p.frame.clone()).collect::<Vec<_>>(),
        "{name}.scn's frames are not {capture}'s"
    );

    let out = replay(&Path::new(ROOT).join(capture), nat);
    let mut lines = out.lines();
    for (i, expected) in ovs.iter().enumerate() {
        let line = lines.next().unwrap();
        let (head, rewritten) = match line.split_once(" -> ") {
            Some((head, summary)) => (head, Some(summary_tuple(summary))),
            None => (line, None),
        };
        let context = format!(
            "{name} packet {}: ctswitch `{line}`, OVS {expected:?}",
            i + 1
        );
        assert_eq!(head, format!("{} {}", i + 1, expected.state), "{context}");
        let sent = expected.sent.clone().expect(&context);
        let original = frame_tuple(&expected.frame);
        match rewritten {
            // An ICMP error's summary is its connection's tuple, not its
            // outer one (a router's error has its own source): each
            // address OVS translated must be that tuple's.
            Some(got) if expected.icmp && expected.state.contains("+rel") => {
                assert_ne!(sent, original, "{context}");
                if sent.src != original.src {
                    assert_eq!(got.src, sent.src, "{context}");
                }
                if sent.dst != original.dst {
                    assert_eq!(got.dst, sent.dst, "{context}");
                }
            }
            Some(got) => assert_eq!(got, sent, "{context}"),
            None => assert_eq!(sent, original, "{context}"),
        }
    }
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest, dump, "{name}: the final dump");
}

/// The frames of a classic little-endian pcap file.
fn pcap_frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(bytes[at + 16..at + 16 + len].to_vec());
        at += 16 + len;
    }
    out
}

#[test]
fn snat_v4_tcp_udp_icmp_and_errors_both_ways_match_ovs() {
    matches_ovs("nat-snat4");
}

#[test]
fn snat_v6_tcp_udp_icmpv6_and_errors_both_ways_match_ovs() {
    matches_ovs("nat-snat6");
}

#[test]
fn dnat_v4_with_a_port_and_errors_from_both_sides_match_ovs() {
    matches_ovs("nat-dnat4");
}

#[test]
fn dnat_v6_with_a_port_and_errors_from_both_sides_match_ovs() {
    matches_ovs("nat-dnat6");
}

#[test]
fn an_exhausted_port_range_leaves_the_packet_untranslated_and_uncommitted_as_ovs() {
    matches_ovs("nat-exhaust4");
    matches_ovs("nat-exhaust6");
}

/// The fragment scenarios (tests/scenarios/frag*.scn naming a capture)
/// inject exactly their capture's frames, so that regenerating one
/// without the other fails here.
#[test]
fn fragment_scenarios_inject_their_captures_frames() {
    let mut checked = 0;
    for entry in std::fs::read_dir(format!("{ROOT}/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "scn") {
            continue;
        }
        let scn = std::fs::read_to_string(&path).unwrap();
        let Some(capture) = scn
            .lines()
            .find_map(|l| l.strip_prefix("# Frames: tests/captures/frag/"))
            .and_then(|rest| rest.split(',').next())
        else {
            continue;
        };
        let pcap = std::fs::read(format!("{ROOT}/captures/frag/{capture}")).unwrap();
        let injected: Vec<Vec<u8>> = scn
            .lines()
            .filter_map(|l| l.strip_prefix("packet "))
            .map(|l| hex(l.split_once(' ').unwrap().1))
            .collect();
        assert!(injected == pcap_frames(&pcap), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} fragment scenarios");
}

#[test]
fn the_report_parser_reads_states_and_sent_tuples() {
    let (packets, dump) = ovs_report(
        "> packet 1 x\n  frame: 505400000002505400000001080045000028000000004006\
         64cc0a0101010a0101029c400050000003e8000000005002fffff9650000\n  \
         pass 0: ct_state=0\n  pass 1: ct_state=new|trk|snat ct_tuple=(..)\n  \
         tx p2: tcp,vlan_tci=0x0000,nw_src=192.168.0.10,nw_dst=10.1.1.2,tp_src=5000,tp_dst=80,tcp_flags=syn\n\
         > dump-conntrack\n  tcp,orig=(..)\n",
    );
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].state, "+new+trk+snat");
    assert_eq!(
        packets[0].sent,
        Some(Tuple {
            src: "192.168.0.10".parse().unwrap(),
            dst: "10.1.1.2".parse().unwrap(),
            ports: Some((5000, 80)),
        })
    );
    assert_eq!(frame_tuple(&packets[0].frame).ports, Some((40000, 80)));
    assert_eq!(dump, ["tcp,orig=(..)"]);
    assert_eq!(
        summary_tuple("tcp [fd00::100]:5000 > [fd00::2]:80").ports,
        Some((5000, 80))
    );
}
