//! The FTP ALG through the daemon's datapath: the frames of
//! tests/scenarios/alg-ftp-active4-snat.scn (active FTP behind
//! `ct(commit,alg=ftp,nat(src=172.16.100.200))`) are injected on the
//! dummy ports, and what the ports transmit is the rewritten stream: the
//! PORT command names the SNAT address (6 bytes more, IP length and
//! checksums right), the client's later sequence numbers and the
//! server's acknowledgements are shifted, the server's data connection is
//! DNAT'd back to the client. The expectation is listed by
//! `dump-conntrack --expectations`.
//!
//! OVS 3.1 gave the states of these frames (the scenario's .ovs.out); its
//! dummy ports cannot show the rewrite (it refuses to grow a packet that
//! has no spare room), so the bytes here follow its FTP code's rules.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{eventually, stdout, Daemon};

const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/alg-ftp-active4-snat.scn"
);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The ones' complement sum of `data`, folded.
fn sum(data: &[u8], init: u32) -> u16 {
    let mut acc = init;
    for pair in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// An IPv4/TCP frame checked (lengths and both checksums) and read:
/// source, destination, ports, seq, ack and payload.
struct Seg {
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    payload: Vec<u8>,
}

fn seg(frame: &[u8]) -> Seg {
    let ip = &frame[14..];
    let total = usize::from(be16(ip, 2));
    assert_eq!(total, ip.len(), "IP total length");
    assert_eq!(sum(&ip[..20], 0), 0xffff, "IP header checksum");
    let tcp = &ip[20..total];
    let mut pseudo = ip[12..20].to_vec();
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    assert_eq!(sum(tcp, u32::from(sum(&pseudo, 0))), 0xffff, "TCP checksum");
    let header = usize::from(tcp[12] >> 4) * 4;
    Seg {
        src: ip[12..16].try_into().unwrap(),
        dst: ip[16..20].try_into().unwrap(),
        sport: be16(tcp, 0),
        dport: be16(tcp, 2),
        seq: be32(tcp, 4),
        ack: be32(tcp, 8),
        payload: tcp[header..].to_vec(),
    }
}

#[test]
fn active_ftp_behind_snat_is_rewritten_on_the_wire() {
    let d = Daemon::start("alg", &[]);
    let scenario = std::fs::read_to_string(SCENARIO).unwrap();
    let mut sent = 0;
    for line in scenario.lines() {
        if let Some(flow) = line.strip_prefix("flow ") {
            stdout(d.ctswitch_of("add-flow", &[flow]));
        } else if let Some(packet) = line.strip_prefix("packet ") {
            let (port, frame) = packet.split_once(' ').unwrap();
            stdout(d.ctswitch_ctl("inject", &[port, frame]));
            sent += 1;
            // One at a time: each packet's connection state is the next
            // one's starting point.
            eventually("the packet is forwarded", || {
                let tx = |p| stdout(d.ctswitch_ctl("port-tx", &[p])).lines().count();
                tx("1") + tx("2") == sent
            });
        }
    }
    let to_server: Vec<Seg> = stdout(d.ctswitch_ctl("port-tx", &["2"]))
        .lines()
        .map(|l| seg(&hex(l)))
        .collect();
    let to_client: Vec<Seg> = stdout(d.ctswitch_ctl("port-tx", &["1"]))
        .lines()
        .map(|l| seg(&hex(l)))
        .collect();
    let nat = [172, 16, 100, 200];
    // SYN, ACK, PORT, RETR, the client's SYN|ACK of the data connection.
    assert_eq!(to_server.len(), 5);
    let port = &to_server[2];
    assert_eq!((port.src, port.sport), (nat, 40000));
    assert_eq!(port.payload, b"PORT 172,16,100,200,195,80\r\n");
    assert_eq!((port.seq, port.ack), (1001, 5001));
    // RETR: 22 bytes of PORT became 28.
    let retr = &to_server[3];
    assert_eq!(retr.payload, b"RETR f\r\n");
    assert_eq!(retr.seq, 1023 + 6);
    assert_eq!(to_server[4].src, nat);
    // The server's reply acknowledged 1029 (the 28 bytes it got): the
    // client hears 1023; its last ACK (1037) becomes 1031.
    assert_eq!(to_client.len(), 5);
    assert_eq!(to_client[1].payload, b"200 PORT command successful.\r\n");
    assert_eq!(to_client[1].ack, 1023);
    assert_eq!(to_client[4].ack, 1031);
    // The data connection from port 20 reaches the client itself.
    let data = &to_client[2];
    assert_eq!(
        (data.src, data.sport, data.dst, data.dport),
        ([10, 1, 1, 2], 20, [10, 1, 1, 1], 50000)
    );
    // The seconds left depend on how long the test took.
    let listed = stdout(d.ctswitch_ctl("dump-conntrack", &["--expectations"]));
    let (head, rest) = listed.split_once(",timeout=").unwrap();
    assert_eq!(
        head,
        "tcp,orig=(src=10.1.1.2,dst=172.16.100.200,sport=0,dport=50000),\
         master=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=21)"
    );
    let (secs, tail) = rest.split_once(',').unwrap();
    assert!(
        (290..=300).contains(&secs.parse::<u32>().unwrap()),
        "{listed}"
    );
    assert_eq!(tail, "helper=ftp\n");
    stdout(d.ctswitch_ctl("flush-conntrack", &[]));
    assert_eq!(
        stdout(d.ctswitch_ctl("dump-conntrack", &["--expectations"])),
        ""
    );
}
