//! PORT_STATUS: ports added and removed at run time (`ctswitch port-add`,
//! `port-del`) and a link going down are announced to every OpenFlow
//! connection that hears asynchronous messages, with the port's
//! description as `ovs-ofctl show` prints it.
//!
//! * The real `ovs-ofctl monitor TARGET 128` prints them, also for a port
//!   `ovs-ofctl mod-port` takes down and up (PORT_MOD); as with OVS 3.1
//!   (checked through its sandbox with `ovs-vsctl add-port`/`del-port` of
//!   a dummy port), a monitor that sets no miss length hears nothing,
//!   because a connection accepted on a listener is a "service" one.
//! * An active controller (`--controller tcp:...`, a listener in this
//!   test) sees the switch's HELLO, has its FEATURES_REQUEST and
//!   ECHO_REQUEST answered and gets the PORT_STATUS; when it restarts,
//!   the switch connects again.
//! * With root, an afpacket port whose veth peer goes down is a MOD with
//!   LINK_DOWN, and LIVE again when it comes back up.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use ctswitch_tests::{ctswitchd, ovs_ofctl};
use daemon_support::{private_dir, stdout, Daemon};
use netns_support::Net;

/// `ovs-ofctl -O OpenFlow13 monitor TARGET [MISS_LEN]`, the lines it
/// prints of the messages it receives (on stderr, as ovs-ofctl 3.1 does)
/// coming through a channel; killed on drop.
struct Monitor {
    child: Child,
    lines: Receiver<String>,
}

impl Monitor {
    fn start(d: &Daemon, name: &str, miss_len: Option<&str>) -> Monitor {
        let mut cmd = Command::new(ovs_ofctl());
        cmd.args(["-O", "OpenFlow13"])
            .arg(format!("--unixctl={}", d.dir.join(name).display()))
            .args(["monitor", &d.target])
            .args(miss_len)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("ovs-ofctl runs");
        let out: ChildStderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Monitor { child, lines }
    }

    /// The next PORT_STATUS message's text (its four lines), waiting up to
    /// 10 s.
    fn next_port_status(&self) -> String {
        self.port_status_within(Duration::from_secs(10))
            .expect("a PORT_STATUS from ovs-ofctl monitor")
    }

    /// The next PORT_STATUS within `wait`, but those about [`PROBE`].
    fn port_status_within(&self, wait: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            if line.starts_with("OFPT_PORT_STATUS") {
                let rest: Vec<String> = (0..3)
                    .map(|_| self.lines.recv_timeout(Duration::from_secs(5)).unwrap())
                    .collect();
                let status = format!("{line}\n{}\n", rest.join("\n"));
                if !status.contains(&format!("({PROBE})")) {
                    return Some(status);
                }
            }
        }
    }

    /// Everything it printed so far (after a moment to print it).
    fn printed(&self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(300));
        self.lines.try_iter().collect()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines `ovs-ofctl show` prints for port `name`: its number and name
/// line and the indented ones below.
fn shown(d: &Daemon, name: &str) -> String {
    let show = stdout(d.ovs_ofctl("show", &[]));
    let mut lines = show
        .lines()
        .skip_while(|l| !l.contains(&format!("({name}): ")));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no {name} in:\n{show}"));
    let rest: Vec<&str> = lines.take_while(|l| l.starts_with("     ")).collect();
    format!("{first}\n{}\n", rest.join("\n"))
}

/// Waits (up to 10 s) until `ovs-ofctl monitor` hears PORT_STATUS.
fn wait_for_monitor(d: &Daemon, monitor: &Monitor) {
    // A probe port comes and goes until the monitor reports it; the
    // monitor's readers skip whatever it says of the probe afterwards.
    for _ in 0..50 {
        stdout(d.ctswitch_ctl("port-add", &["65000", &format!("dummy:{PROBE}")]));
        let heard = monitor.lines.recv_timeout(Duration::from_millis(200));
        stdout(d.ctswitch_ctl("port-del", &["65000"]));
        if heard.is_ok_and(|line| line.contains(&format!("({PROBE})"))) {
            return;
        }
    }
    panic!("ovs-ofctl monitor never heard of a port");
}

/// The name of the port [`wait_for_monitor`] adds and removes.
const PROBE: &str = "probe";

#[test]
fn ovs_ofctl_monitor_prints_ports_added_and_deleted() {
    let d = Daemon::start("port-status", &[]);
    let monitor = Monitor::start(&d, "monitor.ctl", Some("128"));
    let silent = Monitor::start(&d, "silent.ctl", None);
    wait_for_monitor(&d, &monitor);

    stdout(d.ctswitch_ctl("port-add", &["3", "dummy:p3"]));
    let add = monitor.next_port_status();
    let desc = shown(&d, "p3");
    assert_eq!(
        add,
        format!("OFPT_PORT_STATUS (OF1.3) (xid=0x0): ADD:{desc}"),
        "ovs-ofctl show prints:\n{desc}"
    );
    assert!(desc.contains("state:      LIVE"), "{desc}");

    // PORT_MOD: down and up again, as OVS 3.1 words them.
    stdout(d.ovs_ofctl("mod-port", &["p3", "down"]));
    let down = monitor.next_port_status();
    let desc_down = shown(&d, "p3");
    assert_eq!(
        down,
        format!("OFPT_PORT_STATUS (OF1.3) (xid=0x0): MOD:{desc_down}")
    );
    assert!(
        desc_down.contains("config:     PORT_DOWN\n     state:      0\n"),
        "{desc_down}"
    );
    stdout(d.ovs_ofctl("mod-port", &["p3", "up"]));
    assert_eq!(
        monitor.next_port_status(),
        format!("OFPT_PORT_STATUS (OF1.3) (xid=0x0): MOD:{desc}")
    );
    let refused = d.ovs_ofctl("mod-port", &["p3", "no-receive"]);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("OFPPMFC_BAD_CONFIG"),
        "{refused:?}"
    );

    stdout(d.ctswitch_ctl("port-del", &["3"]));
    assert_eq!(
        monitor.next_port_status(),
        format!("OFPT_PORT_STATUS (OF1.3) (xid=0x0): DEL:{desc}")
    );
    let heard = silent.printed();
    assert!(
        !heard.iter().any(|l| l.contains("PORT_STATUS")),
        "a monitor without a miss length heard: {heard:?}"
    );
}

/// One OpenFlow message as read off a stream: type, xid and body.
#[derive(Debug)]
struct Msg {
    kind: u8,
    xid: u32,
    body: Vec<u8>,
}

fn read_msg(stream: &mut TcpStream) -> Msg {
    let mut header = [0u8; 8];
    stream.read_exact(&mut header).expect("a message header");
    assert_eq!(header[0], 4, "not OpenFlow 1.3: {header:?}");
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let mut body = vec![0u8; len - 8];
    stream.read_exact(&mut body).expect("a message body");
    Msg {
        kind: header[1],
        xid: u32::from_be_bytes([header[4], header[5], header[6], header[7]]),
        body,
    }
}

/// The next message of type `kind`, skipping others (echo requests).
fn expect_msg(stream: &mut TcpStream, kind: u8) -> Msg {
    loop {
        let msg = read_msg(stream);
        if msg.kind == kind {
            return msg;
        }
    }
}

fn send_msg(stream: &mut TcpStream, kind: u8, xid: u32, body: &[u8]) {
    let len = u16::try_from(8 + body.len()).unwrap();
    let mut out = vec![4, kind];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&xid.to_be_bytes());
    out.extend_from_slice(body);
    stream.write_all(&out).unwrap();
}

const HELLO: u8 = 0;
const ECHO_REQUEST: u8 = 2;
const ECHO_REPLY: u8 = 3;
const FEATURES_REQUEST: u8 = 5;
const FEATURES_REPLY: u8 = 6;
const PORT_STATUS: u8 = 12;

/// Accepts the switch's connection on `listener` and does what a
/// controller does first: hello, features, an echo.
fn accept_switch(listener: &TcpListener) -> TcpStream {
    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let hello = read_msg(&mut stream);
    assert_eq!(hello.kind, HELLO, "{hello:?}");
    send_msg(&mut stream, HELLO, 1, &[]);
    send_msg(&mut stream, FEATURES_REQUEST, 7, &[]);
    let features = expect_msg(&mut stream, FEATURES_REPLY);
    assert_eq!(features.xid, 7);
    send_msg(&mut stream, ECHO_REQUEST, 8, b"ping");
    let echo = expect_msg(&mut stream, ECHO_REPLY);
    assert_eq!((echo.xid, echo.body.as_slice()), (8, &b"ping"[..]));
    stream
}

/// A PORT_STATUS body's reason, port number and name.
fn port_status(msg: &Msg) -> (u8, u32, String) {
    let port_no = u32::from_be_bytes(msg.body[8..12].try_into().unwrap());
    let name: String = msg.body[24..40]
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect();
    (msg.body[0], port_no, name)
}

/// A listener on a port below the kernel's ephemeral range (32768 and
/// up by default), so that after it closes, the switch's reconnect
/// attempts cannot be handed the same port as their source and connect
/// to themselves, keeping the controller from coming back.
fn controller_listener() -> TcpListener {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (start..32_000)
        .chain(20_000..start)
        .find_map(|port| TcpListener::bind(("127.0.0.1", port)).ok())
        .expect("a free port below 32000")
}

#[test]
fn an_active_controller_gets_port_status_and_is_reconnected_after_a_restart() {
    let listener = controller_listener();
    let addr = listener.local_addr().unwrap();
    let dir = private_dir("port-status-ctl");
    let socket = dir.join("ctswitchd.ctl");
    let mut cmd = Command::new(ctswitchd());
    cmd.args(["--listen", "ptcp:0:127.0.0.1", "--probe-interval", "0"])
        .arg("--controller")
        .arg(format!("tcp:{addr}"))
        .arg("--socket")
        .arg(&socket);
    let d = Daemon::spawn(cmd, dir, socket);

    let mut stream = accept_switch(&listener);
    stdout(d.ctswitch_ctl("port-add", &["3", "dummy:p3"]));
    let added = expect_msg(&mut stream, PORT_STATUS);
    assert_eq!(port_status(&added), (0, 3, "p3".to_string()));

    // The controller restarts: the switch connects to the new one.
    drop(stream);
    drop(listener);
    // The closed connection's socket may hold the port a moment (it waits
    // for the switch's side to close): the new controller retries.
    let start = Instant::now();
    let listener = loop {
        match TcpListener::bind(addr) {
            Ok(listener) => break listener,
            Err(e) if start.elapsed() < Duration::from_secs(10) => {
                eprintln!("binding {addr} again: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("cannot bind {addr} again: {e}"),
        }
    };
    let mut stream = accept_switch(&listener);
    stdout(d.ctswitch_ctl("port-del", &["3"]));
    let deleted = expect_msg(&mut stream, PORT_STATUS);
    assert_eq!(port_status(&deleted), (1, 3, "p3".to_string()));
}

#[test]
fn a_link_going_down_and_up_is_a_port_status_modify() {
    let Some(net) = Net::new('p', ["10.235.0.1/24", "10.235.0.2/24"], [false, false]) else {
        return;
    };
    let [port1, _] = net.ports();
    let d = Daemon::start("port-status-link", &["--port", &port1]);
    let monitor = Monitor::start(&d, "monitor.ctl", Some("128"));
    wait_for_monitor(&d, &monitor);
    let side = &net.sides[0];
    let name = &side.host;

    // The interface's own Ethernet address, as OVS shows it.
    let mac = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).unwrap();
    let desc = shown(&d, name);
    assert!(
        desc.contains(&format!("({name}): addr:{}\n", mac.trim())),
        "{desc}"
    );

    side.ip(&["link", "set", &side.inner, "down"]);
    let down = monitor.next_port_status();
    assert!(down.contains(&format!("MOD: 1({name}): ")), "{down}");
    assert!(down.contains("config:     0\n"), "{down}");
    assert!(down.contains("state:      LINK_DOWN\n"), "{down}");
    assert_eq!(
        down.split_once("MOD:").unwrap().1,
        shown(&d, name),
        "the MOD differs from ovs-ofctl show"
    );

    side.ip(&["link", "set", &side.inner, "up"]);
    let up = monitor.next_port_status();
    assert!(up.contains("state:      LIVE\n"), "{up}");
}

#[test]
fn the_local_port_is_added_and_removed_by_name() {
    let d = Daemon::start("port-status-local", &[]);
    stdout(d.ctswitch_ctl("port-add", &["LOCAL", "dummy:uplink"]));
    let show = stdout(d.ovs_ofctl("show", &[]));
    assert!(show.contains(" LOCAL(uplink): "), "{show}");
    stdout(d.ctswitch_ctl("port-del", &["LOCAL"]));
    let show = stdout(d.ovs_ofctl("show", &[]));
    assert!(show.contains(" LOCAL(br0): "), "{show}");
    let bad = d.ctswitch_ctl("port-add", &["LOCALE", "dummy:x"]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("or LOCAL"),
        "{bad:?}"
    );
}
