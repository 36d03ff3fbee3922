//! `ctswitch demo --netns` (root): the demo's firewall on real traffic.
//! Two network namespaces, inside (10.1.1.1) and outside (10.1.1.2), are
//! joined by veths to an in-process switch whose ports 1 and 2 are the
//! veths' host ends (`afpacket`), polled by a packet thread. A ping and a
//! TCP connection go from inside to outside and are allowed; the same from
//! outside are refused. Then the flow and conntrack tables; the
//! namespaces and veths are removed at the end, whatever happened.

use std::fmt::Write as _;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use datapath::port::AfPacketPort;
use datapath::{PacketThread, ThreadConfig};

use super::demo::{write_tables, FLOWS};
use super::CommandResult;
use crate::scenario::run::Switch;
use crate::scenario::switch::InProcess;

const ADDRS: [&str; 2] = ["10.1.1.1", "10.1.1.2"];

/// The namespaces and veths of one run, removed on drop.
struct Net {
    ns: [String; 2],
    host: [String; 2],
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))
}

fn must(cmd: &mut Command) -> Result<(), String> {
    let out = run(cmd)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn in_ns(ns: &str, program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, program]).args(args);
    cmd
}

impl Net {
    fn new() -> Result<Net, String> {
        let pid = std::process::id();
        let net = Net {
            ns: [format!("ctdemo{pid}i"), format!("ctdemo{pid}o")],
            host: [format!("ctdemo{pid}a"), format!("ctdemo{pid}b")],
        };
        for ((ns, host), addr) in net.ns.iter().zip(&net.host).zip(ADDRS) {
            let inner = format!("{host}i");
            let cidr = format!("{addr}/24");
            must(Command::new("ip").args(["netns", "add", ns]))?;
            must(Command::new("ip").args([
                "link", "add", host, "type", "veth", "peer", "name", &inner, "netns", ns,
            ]))?;
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{host}/disable_ipv6"), "1");
            must(Command::new("ip").args(["link", "set", host, "up"]))?;
            must(Command::new("ip").args(["-n", ns, "addr", "add", &cidr, "dev", &inner]))?;
            must(Command::new("ip").args(["-n", ns, "link", "set", &inner, "up"]))?;
            must(Command::new("ip").args(["-n", ns, "link", "set", "lo", "up"]))?;
        }
        Ok(net)
    }

    /// Whether one of two pings from namespace `from` to `to` is answered.
    fn ping(from: &str, to: &str) -> Result<bool, String> {
        let out = run(&mut in_ns(
            from,
            "ping",
            &["-c", "2", "-i", "0.2", "-W", "1", to],
        ))?;
        Ok(out.status.success())
    }

    /// Whether a TCP connection from namespace `from` to port 80 of `to`
    /// in namespace `to_ns`, where a listener waits, is accepted within
    /// two seconds.
    fn tcp(from: &str, to_ns: &str, to: &str) -> Result<bool, String> {
        let listener = "import socket\n\
            s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
            s.bind(('0.0.0.0',80)); s.listen(1); s.settimeout(3)\n\
            print('ready',flush=True)\n\
            try: s.accept()[0].sendall(b'hello')\n\
            except OSError: pass";
        let mut server = in_ns(to_ns, "python3", &["-c", listener])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        let mut ready = [0u8; 6];
        if let Some(out) = server.stdout.as_mut() {
            use std::io::Read as _;
            let _ = out.read_exact(&mut ready);
        }
        let client = format!(
            "import socket,sys\n\
             try: print(socket.create_connection(('{to}',80),timeout=2).recv(5).decode())\n\
             except OSError: sys.exit(1)"
        );
        let out = run(&mut in_ns(from, "python3", &["-c", &client]));
        let _ = server.kill();
        let _ = server.wait();
        Ok(out?.status.success())
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for name in &self.ns {
            let _ = Command::new("ip").args(["netns", "del", name]).output();
        }
        for name in &self.host {
            let _ = Command::new("ip").args(["link", "del", name]).output();
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

fn verdict(allowed: bool) -> &'static str {
    if allowed {
        "allowed"
    } else {
        "refused"
    }
}

pub fn run_netns() -> CommandResult {
    if !is_root() {
        return Err("demo --netns needs root (it makes network namespaces and veths)".into());
    }
    let net = Net::new()?;
    let mut switch = InProcess::new();
    for (number, host) in (1u32..).zip(&net.host) {
        let port = AfPacketPort::open(host).map_err(|e| e.to_string())?;
        switch.datapath().remove_port(number);
        switch
            .datapath()
            .add_port(number, Arc::new(port))
            .map_err(|e| e.to_string())?;
    }
    let mut out = String::new();
    writeln!(
        out,
        "ctswitch demo --netns: bridge br0 in this process; port 1 = {} ({} in {}), \
         port 2 = {} ({} in {}).\n\nThe stateful firewall:",
        net.host[0], ADDRS[0], net.ns[0], net.host[1], ADDRS[1], net.ns[1]
    )?;
    for flow in FLOWS {
        switch.add_flow(flow)?;
        writeln!(out, "  {flow}")?;
    }
    let thread = PacketThread::spawn(Arc::clone(switch.datapath()), ThreadConfig::default())
        .map_err(|e| format!("cannot start the packet thread: {e}"))?;
    writeln!(out)?;
    let mut surprises = Vec::new();
    let [ns1, ns2] = &net.ns;
    let [addr1, addr2] = ADDRS;
    let ways = [
        (ns1, ns2, addr2, "inside -> outside", true),
        (ns2, ns1, addr1, "outside -> inside", false),
    ];
    for (from, to_ns, to, way, expect) in ways {
        let checks = [
            ("ping", Net::ping(from, to)?),
            ("TCP to port 80", Net::tcp(from, to_ns, to)?),
        ];
        for (what, allowed) in checks {
            writeln!(out, "{way:<18} {what:<15} {}", verdict(allowed))?;
            if allowed != expect {
                surprises.push(format!("{what} {way}: {}", verdict(allowed)));
            }
        }
    }
    thread.stop();
    write_tables(&mut out, &mut switch)?;
    out!("{out}");
    drop(net);
    if surprises.is_empty() {
        outln!("\nEvery connection got the firewall's verdict; namespaces removed.");
        Ok(())
    } else {
        Err(format!("unexpected verdicts: {}", surprises.join("; ")).into())
    }
}
