//! Real traffic for the netns tests: two network namespaces, each joined
//! by a veth pair to the host (whose host ends become the daemon's
//! `afpacket` ports), and the Python programs that talk across them (a TCP
//! sink and source that hash what they move, a UDP probe).
//!
//! Everything is named after the process id and a per-test tag and removed
//! on drop, failure or not; addresses exist only inside the namespaces.
//! Without root the tests skip ([`Net::new`] returns `None`); as root,
//! a missing `ip netns`, ping or ethtool fails them, saying so.

#![allow(dead_code, clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};

/// The classic firewall between ports 1 and 2: table 0 sends IP through
/// conntrack, ARP is switched; table 1 lets port 1's new connections out
/// (committed) and established traffic both ways, and drops the rest.
pub const FIREWALL: &str = "\
table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)
table=0,priority=10,arp,actions=NORMAL
table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),output:2
table=1,priority=10,ip,in_port=1,ct_state=+trk+est,actions=output:2
table=1,priority=10,ip,in_port=2,ct_state=+trk+est,actions=output:1
table=1,priority=0,actions=drop
";

/// Runs `cmd`, failing the test with its output if it fails.
pub fn run(cmd: &mut Command) -> Output {
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

pub fn ip(args: &[&str]) -> Output {
    run(Command::new("ip").args(args))
}

/// `ip netns exec NS PROGRAM ARGS...`.
pub fn in_ns(ns: &str, program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, program]).args(args);
    cmd
}

/// `python3 -c SCRIPT` in `ns`.
pub fn python(ns: &str, script: &str) -> Command {
    in_ns(ns, "/usr/bin/python3", &["-c", script])
}

/// One side: a namespace and its veth pair.
#[derive(Debug)]
pub struct Side {
    pub ns: String,
    /// The host end (the switch's port).
    pub host: String,
    /// The end inside the namespace.
    pub inner: String,
    /// The inner end's address (without prefix length).
    pub addr: String,
    /// The inner end's MAC address.
    pub mac: String,
}

impl Side {
    /// `ip -n NS ARGS...`.
    pub fn ip(&self, args: &[&str]) -> Output {
        let mut all = vec!["-n", &self.ns];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// A permanent neighbour entry: `addr` is at `mac` (no ARP needed).
    pub fn neighbour(&self, addr: &str, mac: &str) {
        self.ip(&[
            "neigh",
            "replace",
            addr,
            "lladdr",
            mac,
            "dev",
            &self.inner,
            "nud",
            "permanent",
        ]);
    }

    /// A route to `cidr` straight out of the veth (on-link).
    pub fn route(&self, cidr: &str) {
        self.ip(&["route", "add", cidr, "dev", &self.inner]);
    }

    /// `program ARGS...` in this namespace.
    pub fn cmd(&self, program: &str, args: &[&str]) -> Command {
        in_ns(&self.ns, program, args)
    }

    /// Three pings to `addr` that must all come back.
    pub fn ping(&self, addr: &str) {
        run(&mut self.cmd("ping", &["-c", "3", "-i", "0.2", "-W", "2", addr]));
    }
}

/// Two namespaces, each with a veth to the host, removed on drop.
#[derive(Debug)]
pub struct Net {
    pub sides: [Side; 2],
}

impl Net {
    /// The namespaces of test `tag` (one letter), with addresses `cidrs`
    /// (`ADDR/LEN`) on their inner ends; side `i`'s two veth ends have
    /// transmit offloads off when `offloads_off[i]`. `None` (the test is
    /// skipped) when not root.
    pub fn new(tag: char, cidrs: [&str; 2], offloads_off: [bool; 2]) -> Option<Net> {
        let is_root = run(Command::new("id").arg("-u")).stdout == b"0\n";
        if !is_root {
            eprintln!("skipped: needs root (it makes network namespaces and veths)");
            return None;
        }
        let netns = Command::new("ip").args(["netns", "list"]).output();
        assert!(
            matches!(&netns, Ok(out) if out.status.success()),
            "\n*** the netns tests need `ip netns` (iproute2; scripts/setup.sh installs it): {netns:?}\n"
        );
        let pid = std::process::id();
        let side = |i: usize| {
            let host = format!("ctsw{pid}{tag}{}", ['a', 'b'][i]);
            Side {
                ns: format!("ctsw{pid}{tag}n{}", i + 1),
                inner: format!("{host}i"),
                host,
                addr: cidrs[i].split('/').next().unwrap().to_string(),
                mac: format!("02:63:74:{:02x}:00:{:02x}", tag as u32 & 0xff, i + 1),
            }
        };
        let net = Net {
            sides: [side(0), side(1)],
        };
        for ((side, cidr), off) in net.sides.iter().zip(cidrs).zip(offloads_off) {
            let (ns, host, inner) = (&side.ns, &side.host, &side.inner);
            ip(&["netns", "add", ns]);
            ip(&[
                "link", "add", host, "type", "veth", "peer", "name", inner, "netns", ns,
            ]);
            // No IPv6 chatter on the switch's ports.
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{host}/disable_ipv6"), "1");
            ip(&["link", "set", host, "up"]);
            side.ip(&["link", "set", inner, "address", &side.mac]);
            side.ip(&["addr", "add", cidr, "dev", inner]);
            side.ip(&["link", "set", inner, "up"]);
            side.ip(&["link", "set", "lo", "up"]);
            if off {
                run(Command::new("ethtool").args(["-K", host, "tx", "off"]));
                run(&mut side.cmd("ethtool", &["-K", inner, "tx", "off"]));
            }
        }
        Some(net)
    }

    /// `--port` values for the daemon: `1=afpacket:HOST1`, `2=afpacket:HOST2`.
    pub fn ports(&self) -> [String; 2] {
        [
            format!("1=afpacket:{}", self.sides[0].host),
            format!("2=afpacket:{}", self.sides[1].host),
        ]
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for side in &self.sides {
            let _ = Command::new("ip").args(["netns", "del", &side.ns]).output();
            let _ = Command::new("ip")
                .args(["link", "del", &side.host])
                .output();
        }
    }
}

/// The packet and byte counts `ovs-ofctl dump-ports` printed for the
/// first port of `dump`, in direction `dir` (`rx` or `tx`).
pub fn port_counts(dump: &str, dir: &str) -> (u64, u64) {
    dump.split(&format!("{dir} pkts="))
        .nth(1)
        .and_then(|rest| rest.split_once(", bytes="))
        .and_then(|(pkts, rest)| Some((pkts, rest.split_once(',')?.0)))
        .and_then(|(pkts, bytes)| Some((pkts.parse().ok()?, bytes.parse().ok()?)))
        .unwrap_or_else(|| panic!("no {dir} counters in:\n{dump}"))
}

/// A child process killed on drop.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `cmd` with its stdout piped and waits for its `ready` line.
pub fn spawn_ready(mut cmd: Command) -> (Reaped, BufReader<ChildStdout>) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("python3 runs");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the helper did not start");
    (Reaped(child), out)
}

/// A TCP server in a namespace for one connection.
pub struct Sink {
    _child: Reaped,
    out: BufReader<ChildStdout>,
}

/// What a sink saw of its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The peer's address as the server saw it.
    pub peer: String,
    /// `BYTES SHA256`, as [`Transfer`] and [`source`] print it.
    pub summary: String,
}

impl Sink {
    /// Listens on `port` in `side`'s namespace.
    pub fn listen(side: &Side, port: u16) -> Sink {
        let script = format!(
            "import hashlib,socket\n\
             s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
             s.bind(('0.0.0.0',{port})); s.listen(1); s.settimeout(60)\n\
             print('ready',flush=True)\n\
             c,a=s.accept(); c.settimeout(60); h=hashlib.sha256(); n=0\n\
             print(a[0],flush=True)\n\
             while True:\n\
             \x20   b=c.recv(1<<20)\n\
             \x20   if not b: break\n\
             \x20   h.update(b); n+=len(b)\n\
             print(n,h.hexdigest(),flush=True)\n"
        );
        let (child, out) = spawn_ready(python(&side.ns, &script));
        Sink { _child: child, out }
    }

    /// Waits for the connection to end.
    pub fn received(mut self) -> Received {
        let mut text = String::new();
        self.out.read_to_string(&mut text).unwrap();
        let mut lines = text.lines();
        Received {
            peer: lines.next().unwrap_or("").to_string(),
            summary: lines.next().unwrap_or("").to_string(),
        }
    }
}

/// The script of a TCP client: connects to `addr:port` (exit 3 if it
/// cannot within `connect_secs`), prints `connected`, sends pseudo-random
/// blocks while `more()` holds, and prints the byte count and their SHA-256.
fn client_script(addr: &str, port: u16, connect_secs: u32, setup: &str, more: &str) -> String {
    format!(
        "import hashlib,os,socket,sys,threading\n\
         {setup}\n\
         s=socket.socket(); s.settimeout({connect_secs})\n\
         try: s.connect(('{addr}',{port}))\n\
         except OSError as e: print('connect:',e); sys.exit(3)\n\
         print('connected',flush=True)\n\
         s.settimeout(60); h=hashlib.sha256(); block=os.urandom(1<<16); n=0; i=0\n\
         while {more}:\n\
         \x20   b=(i.to_bytes(8,'big')+block)[:limit(n)]; i+=1\n\
         \x20   s.sendall(b); h.update(b); n+=len(b)\n\
         s.shutdown(socket.SHUT_WR); s.recv(1); s.close()\n\
         print(n,h.hexdigest(),flush=True)\n"
    )
}

/// Sends `bytes` pseudo-random bytes from `side` to `addr:port`; its stdout
/// is `connected` and `BYTES SHA256`, and it exits 3 when it cannot connect
/// within `connect_secs`.
pub fn source(side: &Side, addr: &str, port: u16, bytes: usize, connect_secs: u32) -> Output {
    let setup = format!("limit=lambda n: min({bytes}-n,1<<16)");
    let script = client_script(addr, port, connect_secs, &setup, &format!("n<{bytes}"));
    python(&side.ns, &script).output().expect("python3 runs")
}

/// A TCP transfer that runs until told to stop.
pub struct Transfer {
    child: Reaped,
    stdin: Option<ChildStdin>,
    out: BufReader<ChildStdout>,
}

impl Transfer {
    /// Connects from `side` to `addr:port` and keeps sending until
    /// [`Transfer::finish`].
    pub fn start(side: &Side, addr: &str, port: u16) -> Transfer {
        let setup = "limit=lambda n: 1<<16\n\
                     stop=threading.Event()\n\
                     threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()";
        let script = client_script(addr, port, 5, setup, "not stop.is_set()");
        let mut cmd = python(&side.ns, script.as_str());
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("python3 runs");
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "connected", "the transfer did not connect");
        Transfer {
            child: Reaped(child),
            stdin,
            out,
        }
    }

    /// Stops sending; `BYTES SHA256` of what was sent.
    pub fn finish(mut self) -> String {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
        let mut text = String::new();
        self.out.read_to_string(&mut text).unwrap();
        let status = self.child.0.wait().unwrap();
        assert!(status.success(), "the transfer failed: {text}");
        text.trim().to_string()
    }
}

/// Sends `bytes` from `from` to `dest` (an address and port, through the
/// switch) and checks that `to`, listening on port `listen`, received
/// exactly them; returns what `to` saw, its peer address included.
pub fn transfer_intact(
    from: &Side,
    dest: (&str, u16),
    to: &Side,
    listen: u16,
    bytes: usize,
) -> Received {
    let sink = Sink::listen(to, listen);
    let sent = source(from, dest.0, dest.1, bytes, 5);
    let text = String::from_utf8_lossy(&sent.stdout).to_string();
    assert!(
        sent.status.success(),
        "the transfer failed: {text} {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let summary = text.lines().last().unwrap_or("").to_string();
    let received = sink.received();
    assert_eq!(
        received.summary, summary,
        "{} received other bytes than {} sent",
        to.ns, from.ns
    );
    assert!(summary.starts_with(&format!("{bytes} ")), "{summary}");
    received
}

/// Whether a datagram from `from` reached `to`'s UDP `port` (at `to_addr`)
/// within two seconds of `from`'s sending a few.
pub fn udp_reaches(from: &Side, to_addr: &str, to: &Side, port: u16) -> bool {
    let script = format!(
        "import socket\n\
         s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',{port}))\n\
         s.settimeout(2); print('ready',flush=True)\n\
         try: s.recv(100); print('got')\n\
         except OSError: print('none')"
    );
    let (mut listener, mut out) = spawn_ready(python(&to.ns, &script));
    let send = format!(
        "import socket,time\n\
         s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
         for _ in range(5): s.sendto(b'x',('{to_addr}',{port})); time.sleep(0.1)"
    );
    run(&mut python(&from.ns, &send));
    let mut verdict = String::new();
    out.read_to_string(&mut verdict).unwrap();
    let _ = listener.0.wait();
    verdict.trim() == "got"
}
