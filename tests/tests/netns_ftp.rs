//! Real FTP through `ct(alg=ftp)` (see `netns_support`): Python's ftplib
//! in ns1 against pyftpdlib (Debian's python3-pyftpdlib, which
//! scripts/setup.sh installs) in ns2, in active and passive mode, with and
//! without SNAT of ns1 behind an address of ns2's subnet (and DNAT of a
//! service address to ns2), over IPv4 (PORT, PASV) and IPv6 (EPRT, EPSV).
//!
//! The flows are a user's firewall: only the control connection (port 21
//! from port 1) is committed, with the FTP helper; established traffic
//! passes both ways, and a new connection passes only when conntrack
//! finds it related (the helper's expectation), committed then. Each case
//! stores a few MB (STOR) and fetches them back (RETR), each over its own
//! data connection, and checks the bytes by hash on both ends; without
//! `alg=ftp` the data connections are dropped.
//!
//! The control connection is committed with a mark that its data
//! connections inherit, so the conntrack dump shows which are its own.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use daemon_support::{stdout, Daemon};
use netns_support::{python, spawn_ready, Net, Reaped, Side};

/// Bytes stored and fetched back in each case (4 MiB).
const FILE: usize = 4 << 20;

/// Directory listings after the transfers, each over its own data
/// connection announced on the control connection (whose sequence
/// numbers a rewrite of each announcement shifts further).
const LISTINGS: usize = 10;

/// The mark the control connection is committed with.
const MARK: u32 = 0x2a;

/// The firewall: `IP`/`TCP` are the family's match words, `NEIGHBOURS`
/// its address resolution (switched), `CT0` table 0's tracking action,
/// `COMMIT` the control connection's, `RELATED` a related connection's.
const FLOWS: &str = "\
table=0,priority=10,IP,ct_state=-trk,actions=CT0
NEIGHBOURS
table=1,priority=10,TCP,in_port=1,tp_dst=21,ct_state=+trk+new,actions=COMMIT,output:2
table=1,priority=10,IP,in_port=1,ct_state=+trk+est,actions=output:2
table=1,priority=10,IP,in_port=2,ct_state=+trk+est,actions=output:1
table=1,priority=5,IP,in_port=1,ct_state=+trk+rel,actions=RELATED,output:2
table=1,priority=5,IP,in_port=2,ct_state=+trk+rel,actions=RELATED,output:1
table=1,priority=0,actions=drop
";

/// How a case is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Active,
    Passive,
}

/// The translation of ns1's connections to ns2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nat {
    None,
    /// ns1 SNAT'd behind an address of ns2's subnet.
    Src,
    /// ns1 dials a service address of its own subnet, DNAT'd to ns2.
    Dst,
}

/// One case's network and firewall.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// The namespaces' tag (see [`Net::new`]).
    tag: char,
    mode: Mode,
    nat: Nat,
    /// IPv6 (EPRT and EPSV) instead of IPv4 (PORT and PASV).
    v6: bool,
    /// The veths' transmit offloads off, as [`Net::new`]'s.
    offloads_off: [bool; 2],
    /// The control connection committed with `alg=ftp`.
    helper: bool,
    /// ctswitchd's packet threads (with 2, each port has its own: the
    /// two directions of a connection are tracked by different threads).
    threads: usize,
}

impl Case {
    fn new(tag: char, mode: Mode) -> Case {
        Case {
            tag,
            mode,
            nat: Nat::None,
            v6: false,
            offloads_off: [false, false],
            helper: true,
            threads: 1,
        }
    }

    /// ns1's and ns2's addresses with their prefixes; when SNAT'd, ns2's
    /// subnet and the address in it that ns1 hides behind; when DNAT'd,
    /// the service address.
    fn addresses(&self) -> ([&'static str; 2], &'static str, &'static str) {
        match (self.v6, self.nat) {
            (false, Nat::None) => (["10.238.0.1/24", "10.238.0.2/24"], "", ""),
            (false, Nat::Src) => (
                ["10.238.1.1/24", "10.238.2.2/24"],
                "10.238.2.0/24",
                "10.238.2.100",
            ),
            (false, Nat::Dst) => (["10.238.3.1/24", "10.238.3.2/24"], "", "10.238.3.100"),
            (true, Nat::None) => (["fd38::1/64", "fd38::2/64"], "", ""),
            (true, Nat::Dst) => (["fd38:3::1/64", "fd38:3::2/64"], "", "fd38:3::100"),
            (true, Nat::Src) => (
                ["fd38:1::1/64", "fd38:2::2/64"],
                "fd38:2::/64",
                "fd38:2::100",
            ),
        }
    }
}

#[test]
fn active_ftp_without_nat() {
    ftp(Case::new('A', Mode::Active));
}

#[test]
fn passive_ftp_without_nat() {
    ftp(Case::new('B', Mode::Passive));
}

#[test]
fn active_ftp_with_snat() {
    ftp(Case {
        nat: Nat::Src,
        ..Case::new('C', Mode::Active)
    });
}

#[test]
fn passive_ftp_with_snat() {
    ftp(Case {
        nat: Nat::Src,
        ..Case::new('D', Mode::Passive)
    });
}

/// The PORT commands rewritten in full checksums (not partial ones, as
/// with offloads on), and the data cut into segments by the sender; two
/// packet threads.
#[test]
fn active_ftp_with_snat_and_offloads_off() {
    ftp(Case {
        nat: Nat::Src,
        offloads_off: [true, true],
        threads: 2,
        ..Case::new('E', Mode::Active)
    });
}

#[test]
fn active_ftp_over_ipv6() {
    ftp(Case {
        v6: true,
        ..Case::new('F', Mode::Active)
    });
}

#[test]
fn passive_ftp_over_ipv6() {
    ftp(Case {
        v6: true,
        ..Case::new('G', Mode::Passive)
    });
}

/// EPRT's address rewritten (its text grows by 2 bytes).
#[test]
fn active_ftp_over_ipv6_with_snat() {
    ftp(Case {
        v6: true,
        nat: Nat::Src,
        ..Case::new('H', Mode::Active)
    });
}

/// 227's address rewritten to the service address (its text grows by 2
/// bytes), which the client connects to as told; two packet threads.
#[test]
fn passive_ftp_with_dnat() {
    ftp(Case {
        nat: Nat::Dst,
        threads: 2,
        ..Case::new('I', Mode::Passive)
    });
}

/// The server's data connections seen as from the service address.
#[test]
fn active_ftp_with_dnat() {
    ftp(Case {
        nat: Nat::Dst,
        ..Case::new('J', Mode::Active)
    });
}

/// Without the helper no expectation is made: the data connections are
/// new and unrelated, and the firewall drops them, in both modes.
#[test]
fn data_connections_are_dropped_without_the_ftp_helper() {
    let case = Case {
        helper: false,
        ..Case::new('N', Mode::Active)
    };
    let Some((net, d)) = setup(case) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let _server = start_server(ns2, &d.dir.join("ftp"), false);
    for mode in [Mode::Active, Mode::Passive] {
        let mut client = Client::start(ns1, &ns2.addr, mode, 3);
        let outcome = client.next_line();
        assert!(
            outcome.starts_with("failed "),
            "{mode:?} data connection passed without alg=ftp: {outcome}"
        );
    }
    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &["--expectations"]));
    assert_eq!(dump, "", "expectations without the helper");
}

/// Whether the FTP server can run; says why not when it cannot.
fn have_server() -> bool {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import pyftpdlib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "skipped: no pyftpdlib for /usr/bin/python3 (apt-get install python3-pyftpdlib, \
             as scripts/setup.sh does)"
        );
    }
    ok
}

/// The namespaces of `case` and a daemon on them with [`FLOWS`]; `None`
/// when the test is skipped.
fn setup(case: Case) -> Option<(Net, Daemon)> {
    let (cidrs, subnet2, nat_addr) = case.addresses();
    let net = Net::new(case.tag, cidrs, case.offloads_off)?;
    if !have_server() {
        return None;
    }
    let [ns1, ns2] = &net.sides;
    if case.v6 {
        // Duplicate address detection holds new addresses back a while.
        daemon_support::eventually("IPv6 addresses usable", || {
            net.sides.iter().all(|side| {
                side.ip(&["-6", "addr", "show", "tentative"])
                    .stdout
                    .is_empty()
            })
        });
    }
    // As netns_nat: static neighbour entries stand for a router's proxy
    // ARP for the addresses nobody owns.
    match case.nat {
        Nat::None => {}
        Nat::Src => {
            // ns1 reaches ns2's subnet straight out of its veth.
            ns1.route(subnet2);
            ns1.neighbour(&ns2.addr, &ns2.mac);
            ns2.neighbour(nat_addr, &ns1.mac);
        }
        Nat::Dst => ns1.neighbour(nat_addr, &ns2.mac),
    }
    let alg = if case.helper { "alg=ftp," } else { "" };
    let mark = format!("exec(set_field:{MARK}->ct_mark)");
    let bracketed = |addr: &str| {
        if case.v6 {
            format!("[{addr}]")
        } else {
            addr.to_string()
        }
    };
    let nat = match case.nat {
        Nat::None => None,
        Nat::Src => Some(format!("nat(src={})", bracketed(nat_addr))),
        Nat::Dst => Some(format!("nat(dst={})", bracketed(&ns2.addr))),
    };
    let (ct0, commit, related) = match nat {
        Some(nat) => (
            "ct(nat,table=1)",
            format!("ct(commit,{alg}{mark},{nat})"),
            "ct(commit,nat)",
        ),
        None => (
            "ct(table=1)",
            format!("ct(commit,{alg}{mark})"),
            "ct(commit)",
        ),
    };
    let (ip, tcp, neighbours) = if case.v6 {
        (
            "ipv6",
            "tcp6",
            "table=0,priority=20,icmp6,icmp_type=135,actions=NORMAL\n\
             table=0,priority=20,icmp6,icmp_type=136,actions=NORMAL",
        )
    } else {
        ("ip", "tcp", "table=0,priority=10,arp,actions=NORMAL")
    };
    let [port1, port2] = net.ports();
    let d = Daemon::start(
        &format!("netns-ftp-{}", case.tag),
        &[
            "--threads",
            &case.threads.to_string(),
            "--port",
            &port1,
            "--port",
            &port2,
        ],
    );
    d.add_flows(
        &FLOWS
            .replace("NEIGHBOURS", neighbours)
            .replace("IP", ip)
            .replace("TCP", tcp)
            .replace("CT0", ct0)
            .replace("COMMIT", &commit)
            .replace("RELATED", related),
    );
    std::fs::create_dir(d.dir.join("ftp")).unwrap();
    Some((net, d))
}

/// One case: a file stored and fetched back in `mode`, both checked, and
/// the conntrack state shown while a further data connection is pending.
fn ftp(case: Case) {
    let mode = case.mode;
    let Some((net, d)) = setup(case) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let root = d.dir.join("ftp");
    let _server = start_server(ns2, &root, case.v6);
    let (_, _, nat_addr) = case.addresses();
    let (a1, a2) = (ns1.addr.as_str(), ns2.addr.as_str());
    // The address ns1 dials, and the one the server sees it at.
    let dial = if case.nat == Nat::Dst { nat_addr } else { a2 };
    let seen_as = if case.nat == Nat::Src { nat_addr } else { a1 };
    let mut client = Client::start(ns1, dial, mode, 10);

    let sent = client.next_line();
    let sent = sent
        .strip_prefix("sent ")
        .unwrap_or_else(|| panic!("{mode:?} STOR failed: {sent}"))
        .to_string();
    assert!(sent.starts_with(&format!("{FILE} ")), "{sent}");
    let stored = stdout(
        Command::new("sha256sum")
            .arg(root.join("up.bin"))
            .output()
            .unwrap(),
    );
    let (hash, _) = stored.split_once(' ').unwrap();
    assert_eq!(
        sent,
        format!("{FILE} {hash}"),
        "the server stored other bytes than the client sent"
    );
    let got = client.next_line();
    assert_eq!(
        got.strip_prefix("got "),
        Some(sent.as_str()),
        "{mode:?} RETR fetched other bytes than were stored"
    );
    let listed = client.next_line();
    assert_eq!(
        listed,
        format!("listed {LISTINGS}"),
        "{mode:?} listings failed"
    );
    let pending = client.next_line();
    let (host, port) = pending
        .strip_prefix("pending ")
        .and_then(|rest| rest.split_once(' '))
        .unwrap_or_else(|| panic!("{pending}"));
    if mode == Mode::Passive {
        // The address of PASV's reply (or, for EPSV's, which names none,
        // the control connection's) is the one ns1 dialled.
        assert_eq!(host, dial, "the client was told to connect elsewhere");
    }

    let server_log = std::fs::read_to_string(root.join("peers")).unwrap_or_default();
    assert!(
        server_log.lines().all(|l| l == seen_as) && !server_log.is_empty(),
        "the server saw the client as {server_log:?}, not {seen_as}"
    );

    // The announced data connection is expected, with the control
    // connection as its master (used expectations stay until the control
    // connection ends, as in OVS, so there is one for each announcement).
    let expectations = stdout(d.ctswitch_ctl("dump-conntrack", &["--expectations"]));
    let expected: Vec<&str> = expectations
        .lines()
        .filter(|l| {
            l.starts_with("tcp,")
                && l.contains(&format!(",dport={port})"))
                && l.contains(&format!("master=(src={a1},dst={dial},"))
                && l.contains("dport=21)")
                && l.ends_with(",helper=ftp")
        })
        .collect();
    assert_eq!(
        expected.len(),
        1,
        "no expectation for port {port} in:\n{expectations}"
    );

    // The control connection has the helper; the data connections (ns1's
    // to the server in passive mode, the server's to ns1 in active mode)
    // carry its mark: STOR's, RETR's, the listings', and in active mode
    // the pending one too, which pyftpdlib opens as soon as it gets PORT.
    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let control = format!("tcp,orig=(src={a1},dst={dial},");
    let controls: Vec<&str> = dump
        .lines()
        .filter(|l| l.starts_with(&control) && l.contains(",dport=21),"))
        .collect();
    assert_eq!(controls.len(), 1, "no control connection in:\n{dump}");
    assert!(controls[0].ends_with(",helper=ftp"), "{}", controls[0]);
    assert!(controls[0].contains(&format!(",mark={MARK},")));
    assert!(
        controls[0].contains(&format!("reply=(src={a2},dst={seen_as},sport=21,")),
        "{}",
        controls[0]
    );
    let data_orig = match mode {
        Mode::Passive => format!("tcp,orig=(src={a1},dst={dial},"),
        Mode::Active => format!("tcp,orig=(src={a2},dst={seen_as},"),
    };
    let data_reply = match mode {
        Mode::Passive => format!("reply=(src={a2},dst={seen_as},"),
        Mode::Active => format!("reply=(src={a1},dst={dial},"),
    };
    let data: Vec<&str> = dump
        .lines()
        .filter(|l| {
            l.starts_with(&data_orig)
                && l.contains(&data_reply)
                && !l.contains("dport=21)")
                && !l.contains("sport=21,")
        })
        .collect();
    let made = if mode == Mode::Active { 3 } else { 2 } + LISTINGS;
    assert_eq!(data.len(), made, "not {made} data connections in:\n{dump}");
    for line in data {
        assert!(line.contains(&format!(",mark={MARK},")), "{line}");
        assert!(!line.contains("helper="), "{line}");
    }
    client.finish();
}

/// pyftpdlib in a namespace, serving `root` to user `ctsw` (password
/// `ctsw`) on port 21 of IPv6 (`v6`) or IPv4, and writing each client's
/// address to `root/peers`; killed when dropped.
fn start_server(side: &Side, root: &std::path::Path, v6: bool) -> Reaped {
    let root = root.display();
    let any = if v6 { "::" } else { "0.0.0.0" };
    let script = format!(
        "import logging\n\
         from pyftpdlib.authorizers import DummyAuthorizer\n\
         from pyftpdlib.handlers import FTPHandler\n\
         from pyftpdlib.servers import FTPServer\n\
         logging.basicConfig(level=logging.WARNING)\n\
         class Handler(FTPHandler):\n\
         \x20   def on_login(self, username):\n\
         \x20       with open('{root}/peers','a') as f: f.write(self.remote_ip+'\\n')\n\
         a=DummyAuthorizer(); a.add_user('ctsw','ctsw','{root}',perm='elradfmw')\n\
         Handler.authorizer=a; Handler.passive_ports=range(40000,40100)\n\
         s=FTPServer(('{any}',21),Handler)\n\
         print('ready',flush=True)\n\
         s.serve_forever()\n"
    );
    let (child, _out) = spawn_ready(python(&side.ns, &script));
    child
}

/// ftplib in a namespace: stores [`FILE`] random bytes as `up.bin`
/// (`sent BYTES SHA256`), fetches them back (`got BYTES SHA256`), lists
/// the directory [`LISTINGS`] times (`listed TIMES_SEEN`), then
/// announces one more data connection (PASV/EPSV or PORT/EPRT) and waits with it
/// pending (`pending HOST PORT`, the address to connect to or listened
/// on) until [`Client::finish`]. A failed transfer is
/// `failed ERROR`.
struct Client {
    child: Reaped,
    out: BufReader<std::process::ChildStdout>,
}

impl Client {
    fn start(side: &Side, server: &str, mode: Mode, timeout_secs: u32) -> Client {
        let passive = if mode == Mode::Passive {
            "True"
        } else {
            "False"
        };
        let script = format!(
            "import ftplib,hashlib,io,os,sys\n\
             f=ftplib.FTP(timeout={timeout_secs}); f.connect('{server}',21)\n\
             f.login('ctsw','ctsw'); f.set_pasv({passive})\n\
             f.trust_server_pasv_ipv4_address=True\n\
             data=os.urandom({FILE}); h=hashlib.sha256(); n=0\n\
             def got(b):\n\
             \x20   global n; h.update(b); n+=len(b)\n\
             try:\n\
             \x20   f.storbinary('STOR up.bin',io.BytesIO(data))\n\
             \x20   print('sent',len(data),hashlib.sha256(data).hexdigest(),flush=True)\n\
             \x20   f.retrbinary('RETR up.bin',got)\n\
             \x20   print('got',n,h.hexdigest(),flush=True)\n\
             \x20   listed=[f.nlst() for _ in range({LISTINGS})]\n\
             \x20   print('listed',sum('up.bin' in names for names in listed),flush=True)\n\
             except (OSError,ftplib.Error) as e:\n\
             \x20   print('failed',repr(e),flush=True); sys.exit(3)\n\
             if {passive}: host,port=f.makepasv()\n\
             else: listener=f.makeport(); host,port=listener.getsockname()[:2]\n\
             print('pending',host,port,flush=True)\n\
             sys.stdin.readline(); f.quit()\n"
        );
        let mut cmd = python(&side.ns, &script);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("python3 runs");
        let out = BufReader::new(child.stdout.take().unwrap());
        Client {
            child: Reaped(child),
            out,
        }
    }

    /// The client's next line (empty when it has ended).
    fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        line.trim().to_string()
    }

    /// Lets the client quit; it must end well.
    fn finish(mut self) {
        if let Some(stdin) = self.child.0.stdin.as_mut() {
            stdin.write_all(b"\n").unwrap();
        }
        let status = self.child.0.wait().unwrap();
        assert!(status.success(), "the FTP client failed: {status}");
    }
}
