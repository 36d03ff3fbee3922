//! The fragment reassembler through the daemon: `ipf-get-status` prints
//! what `ovs-appctl dpctl/ipf-get-status` prints (OVS 3.1's fresh status
//! below), the setters answer and refuse as OVS does, and a fragmented
//! datagram injected on a port is counted and forwarded as its fragments.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use daemon_support::{eventually, stdout, Daemon};

/// `ovs-appctl dpctl/ipf-get-status` of a fresh OVS 3.1.
const FRESH: &str = "        Fragmentation Module Status
        ---------------------------
        v4 enabled: 1
        v6 enabled: 1
        max num frags (v4/v6): 1000
        num frag: 0
        min v4 frag size: 1200
        v4 frags accepted: 0
        v4 frags completed: 0
        v4 frags expired: 0
        v4 frags too small: 0
        v4 frags overlapped: 0
        v4 frags purged: 0
        min v6 frag size: 1280
        v6 frags accepted: 0
        v6 frags completed: 0
        v6 frags expired: 0
        v6 frags too small: 0
        v6 frags overlapped: 0
        v6 frags purged: 0
";

fn stderr_line(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a refusal");
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

/// A 2600-byte UDP datagram 10.1.1.1:3000 → 10.1.1.2:4000 in two IPv4
/// fragments of 1400 and 1208 payload bytes.
fn fragments() -> [String; 2] {
    let data: Vec<u8> = (0..2600u32).map(|i| (i % 256) as u8).collect();
    let mut udp = vec![0x0b, 0xb8, 0x0f, 0xa0];
    udp.extend_from_slice(&(8 + data.len() as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]); // no checksum
    udp.extend_from_slice(&data);
    let frag = |payload: &[u8], offset: u16, more: bool| {
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 77]);
        ip.extend_from_slice(&((u16::from(more) << 13) | (offset / 8)).to_be_bytes());
        ip.extend_from_slice(&[64, 17, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2]);
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = hex("505400000002505400000001");
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(payload);
        frame.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    [frag(&udp[..1400], 0, true), frag(&udp[1400..], 1400, false)]
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn status_setters_and_a_fragmented_datagram() {
    let d = Daemon::start("ipf", &[]);
    assert_eq!(stdout(d.ctswitch_ctl("ipf-get-status", &[])), FRESH);

    assert_eq!(
        stdout(d.ctswitch_ctl("ipf-set-min-frag", &["v4", "1000"])),
        "setting minimum fragment size successful\n"
    );
    assert_eq!(
        stderr_line(&d.ctswitch_ctl("ipf-set-min-frag", &["v6", "100"])),
        "ctswitch: requested minimum fragment size too small; see documentation"
    );
    assert_eq!(
        stdout(d.ctswitch_ctl("ipf-set-max-nfrags", &["500"])),
        "setting maximum fragments successful\n"
    );
    assert_eq!(
        stderr_line(&d.ctswitch_ctl("ipf-set-max-nfrags", &["9000"])),
        "ctswitch: setting maximum fragments failed"
    );
    assert_eq!(
        stdout(d.ctswitch_ctl("ipf-set-disabled", &["v6"])),
        "disabling fragmentation reassembly successful\n"
    );
    let status = stdout(d.ctswitch_ctl("ipf-get-status", &[]));
    for line in [
        "v6 enabled: 0",
        "max num frags (v4/v6): 500",
        "min v4 frag size: 1000",
        "min v6 frag size: 1280",
    ] {
        assert!(status.contains(line), "{line} in\n{status}");
    }

    for flow in [
        "table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)",
        "table=1,priority=10,in_port=1,ip,ct_state=+trk+new,actions=ct(commit),output:2",
    ] {
        stdout(d.ctswitch_of("add-flow", &[flow]));
    }
    let [first, last] = fragments();
    stdout(d.ctswitch_ctl("inject", &["1", &first]));
    stdout(d.ctswitch_ctl("inject", &["1", &last]));
    let mut tx = String::new();
    eventually("port 2 sends both fragments", || {
        tx = stdout(d.ctswitch_ctl("port-tx", &["2"]));
        tx.lines().count() >= 2
    });
    assert_eq!(tx, format!("{first}\n{last}\n"));
    let status = stdout(d.ctswitch_ctl("ipf-get-status", &[]));
    // Both ct actions (table 0, then the commit in table 1) reassemble the
    // datagram, each counting its two fragments.
    for line in [
        "v4 frags accepted: 4",
        "v4 frags completed: 4",
        "v4 frags too small: 0",
    ] {
        assert!(status.contains(line), "{line} in\n{status}");
    }
    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    assert_eq!(
        dump,
        "udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=3000,dport=4000),reply=(src=10.1.1.2,dst=10.1.1.1,sport=4000,dport=3000)\n"
    );
}
