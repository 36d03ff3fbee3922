//! Real traffic through ctswitchd: two network namespaces, each joined by
//! a veth pair to the host, whose host ends are the daemon's `afpacket`
//! ports 1 and 2, with the classic stateful firewall programmed by the
//! real ovs-ofctl. ns1 may open connections to ns2, never the reverse.
//! The veths keep the kernel's default offloads (partial checksums, TSO),
//! under which OVS 3.1's userspace datapath passes no TCP at all; the same
//! runs with them off (`ethtool -K IF tx off`) on both sides and on ns2's
//! side only, where the switch's TCP super-frames from ns1 must be cut
//! by the kernel for an interface without TSO.
//!
//! Needs root, iproute2 with `ip netns`, ping and ethtool (scripts/setup.sh
//! installs them); without them it fails, saying so. Everything it
//! makes is named after the process id and removed at the end, failure
//! or not; addresses exist only inside the namespaces.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};

use daemon_support::{stdout, Daemon};

/// Bytes ns1 sends to ns2 (100 MiB).
const TRANSFER: usize = 100 << 20;
const NS1_ADDR: &str = "10.231.7.1";
const NS2_ADDR: &str = "10.231.7.2";

/// The classic firewall: table 0 sends IP through conntrack, ARP is
/// switched; table 1 lets ports 1's new connections out (committed) and
/// established traffic both ways, and drops the rest.
const FLOWS: &str = "\
table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)
table=0,priority=10,arp,actions=NORMAL
table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),output:2
table=1,priority=10,ip,in_port=1,ct_state=+trk+est,actions=output:2
table=1,priority=10,ip,in_port=2,ct_state=+trk+est,actions=output:1
table=1,priority=0,actions=drop
";

/// Runs `cmd`, failing the test with its output if it fails.
fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn ip(args: &[&str]) -> Output {
    run(Command::new("ip").args(args))
}

/// `ip netns exec NS PROGRAM ARGS...`.
fn in_ns(ns: &str, program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, program]).args(args);
    cmd
}

/// Two namespaces, each with a veth to the host, removed on drop.
struct Net {
    ns: [String; 2],
    host: [String; 2],
}

impl Net {
    /// The namespaces of test `tag` (one letter); side `i`'s two veth ends
    /// have transmit offloads off when `offloads_off[i]`.
    fn new(tag: char, offloads_off: [bool; 2]) -> Net {
        let is_root = run(Command::new("id").arg("-u")).stdout == b"0\n";
        assert!(
            is_root,
            "\n*** netns_firewall needs root (it makes network namespaces and veths)\n"
        );
        let netns = Command::new("ip").args(["netns", "list"]).output();
        assert!(
            matches!(&netns, Ok(out) if out.status.success()),
            "\n*** netns_firewall needs `ip netns` (iproute2; scripts/setup.sh installs it): {netns:?}\n"
        );
        let pid = std::process::id();
        let net = Net {
            ns: [format!("ctsw{pid}{tag}n1"), format!("ctsw{pid}{tag}n2")],
            host: [format!("ctsw{pid}{tag}a"), format!("ctsw{pid}{tag}b")],
        };
        let addrs = [NS1_ADDR, NS2_ADDR];
        for (((ns, host), addr), off) in net.ns.iter().zip(&net.host).zip(addrs).zip(offloads_off) {
            ip(&["netns", "add", ns]);
            let inner = format!("{host}i");
            ip(&[
                "link", "add", host, "type", "veth", "peer", "name", &inner, "netns", ns,
            ]);
            // No IPv6 chatter on the switch's ports.
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{host}/disable_ipv6"), "1");
            ip(&["link", "set", host, "up"]);
            let cidr = format!("{addr}/24");
            ip(&["-n", ns, "addr", "add", &cidr, "dev", &inner]);
            ip(&["-n", ns, "link", "set", &inner, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            if off {
                run(Command::new("ethtool").args(["-K", host, "tx", "off"]));
                run(&mut in_ns(ns, "ethtool", &["-K", &inner, "tx", "off"]));
            }
        }
        net
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.ns {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        for host in &self.host {
            let _ = Command::new("ip").args(["link", "del", host]).output();
        }
    }
}

/// A child process killed on drop.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Python TCP server in `ns` on `port`: prints `ready`, then, for one
/// connection, the byte count and SHA-256 of what it read.
fn sink(ns: &str, port: u16) -> (Reaped, BufReader<std::process::ChildStdout>) {
    let script = format!(
        "import hashlib,socket\n\
         s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
         s.bind(('0.0.0.0',{port})); s.listen(1); s.settimeout(60)\n\
         print('ready',flush=True)\n\
         c,_=s.accept(); c.settimeout(60); h=hashlib.sha256(); n=0\n\
         while True:\n\
         \x20   b=c.recv(1<<20)\n\
         \x20   if not b: break\n\
         \x20   h.update(b); n+=len(b)\n\
         print(n,h.hexdigest(),flush=True)\n"
    );
    let mut child = in_ns(ns, "/usr/bin/python3", &["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    (Reaped(child), out)
}

/// A Python TCP client in `ns`: sends `bytes` pseudo-random bytes to
/// `addr:port` and prints the byte count and their SHA-256; exits 3 if
/// it cannot connect within `connect_secs`.
fn source(ns: &str, addr: &str, port: u16, bytes: usize, connect_secs: u32) -> Output {
    let script = format!(
        "import hashlib,os,socket,sys\n\
         s=socket.socket(); s.settimeout({connect_secs})\n\
         try: s.connect(('{addr}',{port}))\n\
         except OSError as e: print('connect:',e); sys.exit(3)\n\
         s.settimeout(60); h=hashlib.sha256(); block=os.urandom(1<<20); left={bytes}; i=0\n\
         while left>0:\n\
         \x20   b=(i.to_bytes(8,'big')+block)[:min(left,1<<20)]; i+=1\n\
         \x20   s.sendall(b); h.update(b); left-=len(b)\n\
         s.shutdown(socket.SHUT_WR); s.recv(1); s.close()\n\
         print({bytes},h.hexdigest(),flush=True)\n"
    );
    in_ns(ns, "/usr/bin/python3", &["-c", &script])
        .output()
        .expect("python3 runs")
}

/// ns2 reports whether a datagram from ns1's address reached its UDP
/// port within two seconds of ns2's sending a few.
fn udp_reaches_ns1(net: &Net) -> bool {
    let mut listener = in_ns(
        &net.ns[0],
        "/usr/bin/python3",
        &[
            "-c",
            "import socket\n\
            s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',5003))\n\
            s.settimeout(2); print('ready',flush=True)\n\
            try: s.recv(100); print('got')\n\
            except OSError: print('none')",
        ],
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("python3 runs");
    let mut out = BufReader::new(listener.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let script = format!(
        "import socket,time\n\
         s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
         for _ in range(5): s.sendto(b'x',('{NS1_ADDR}',5003)); time.sleep(0.1)"
    );
    run(&mut in_ns(&net.ns[1], "/usr/bin/python3", &["-c", &script]));
    let mut verdict = String::new();
    out.read_to_string(&mut verdict).unwrap();
    let _ = listener.wait();
    verdict.trim() == "got"
}

#[test]
fn the_stateful_firewall_passes_ns1_to_ns2_and_refuses_the_reverse() {
    firewall('d', [false, false]);
}

#[test]
fn the_firewall_works_with_offloads_off() {
    firewall('o', [true, true]);
}

#[test]
fn the_firewall_works_with_offloads_on_one_side_only() {
    firewall('m', [false, true]);
}

fn firewall(tag: char, offloads_off: [bool; 2]) {
    let net = Net::new(tag, offloads_off);
    let port1 = format!("1=afpacket:{}", net.host[0]);
    let port2 = format!("afpacket:{}", net.host[1]);
    // Port 1 from the command line, port 2 added at run time.
    let d = Daemon::start(&format!("netns-{tag}"), &["--port", &port1]);
    stdout(d.ctswitch_ctl("port-add", &["2", &port2]));
    let flows = d.dir.join("firewall.flows");
    std::fs::write(&flows, FLOWS).unwrap();
    stdout(d.ovs_ofctl("add-flows", &[flows.to_str().unwrap()]));

    run(&mut in_ns(
        &net.ns[0],
        "ping",
        &["-c", "3", "-i", "0.2", "-W", "2", NS2_ADDR],
    ));

    let (_server, mut received) = sink(&net.ns[1], 5001);
    let sent = source(&net.ns[0], NS2_ADDR, 5001, TRANSFER, 5);
    let sent_text = String::from_utf8_lossy(&sent.stdout).trim().to_string();
    assert!(
        sent.status.success(),
        "the transfer failed: {sent_text} {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let mut got = String::new();
    received.read_to_string(&mut got).unwrap();
    assert_eq!(
        got.trim(),
        sent_text,
        "ns2 received other bytes than ns1 sent"
    );
    assert!(sent_text.starts_with(&TRANSFER.to_string()));

    // With TSO on (the veth default) the transfer crosses as super-frames.
    let ports = stdout(d.ovs_ofctl("dump-ports", &["1"]));
    let rx = ports
        .split("rx pkts=")
        .nth(1)
        .and_then(|rest| rest.split_once(", bytes="))
        .and_then(|(pkts, rest)| Some((pkts, rest.split_once(',')?.0)))
        .and_then(|(pkts, bytes)| Some((pkts.parse::<u64>().ok()?, bytes.parse::<u64>().ok()?)));
    let (pkts, bytes) = rx.unwrap_or_else(|| panic!("no rx counters in:\n{ports}"));
    assert!(bytes > TRANSFER as u64, "port 1 received {bytes} bytes");
    let super_frames = bytes / pkts > 1514;
    assert_eq!(
        super_frames, !offloads_off[0],
        "{pkts} frames, {bytes} bytes"
    );

    let (_listener, _) = sink(&net.ns[0], 5002);
    let refused = source(&net.ns[1], NS1_ADDR, 5002, 1000, 2);
    assert_eq!(
        refused.status.code(),
        Some(3),
        "ns2 opened a connection to ns1: {}",
        String::from_utf8_lossy(&refused.stdout)
    );

    assert!(!udp_reaches_ns1(&net), "ns2's UDP reached ns1");

    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let has = |needle: &str| dump.lines().any(|l| l.contains(needle));
    assert!(
        has(&format!("icmp,orig=(src={NS1_ADDR},dst={NS2_ADDR}")),
        "no ping in:\n{dump}"
    );
    assert!(
        dump.lines().any(|l| l.starts_with("tcp,")
            && l.contains(&format!("src={NS1_ADDR},dst={NS2_ADDR}"))
            && l.contains("dport=5001")),
        "no transfer in:\n{dump}"
    );
    assert!(
        !has("dport=5002"),
        "the refused connection was committed:\n{dump}"
    );
    assert!(
        !has("dport=5003"),
        "the refused datagrams were committed:\n{dump}"
    );
}
