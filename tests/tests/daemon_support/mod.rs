//! A `ctswitchd` for the daemon tests: started on a free port with its
//! control socket in a private directory, stopped (SIGTERM) when dropped;
//! and the two CLIs run against it.

#![allow(dead_code, clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ctswitch_tests::{ctswitch, ctswitchd, ovs_ofctl};

pub struct Daemon {
    pub child: Child,
    /// `tcp:127.0.0.1:PORT`.
    pub target: String,
    pub socket: PathBuf,
    pub dir: PathBuf,
}

/// A private directory for one test.
pub fn private_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctswitch-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Daemon {
    /// ctswitchd with `args` plus a free OpenFlow port and a private
    /// control socket.
    pub fn start(tag: &str, args: &[&str]) -> Daemon {
        let dir = private_dir(tag);
        let socket = dir.join("ctswitchd.ctl");
        let mut cmd = Command::new(ctswitchd());
        cmd.args([
            "--listen",
            "ptcp:0:127.0.0.1",
            "--probe-interval",
            "0",
            "--socket",
        ])
        .arg(&socket)
        .args(args);
        Daemon::spawn(cmd, dir, socket)
    }

    /// Spawns `cmd` and waits for its listening and control socket lines.
    pub fn spawn(mut cmd: Command, dir: PathBuf, socket: PathBuf) -> Daemon {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ctswitchd starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a first line").unwrap();
        let target = first
            .strip_prefix("ctswitchd: listening for OpenFlow on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let second = lines.next().expect("a second line").unwrap();
        assert!(second.starts_with("ctswitchd: control socket "), "{second}");
        Daemon {
            child,
            target,
            socket,
            dir,
        }
    }

    /// `ctswitch VERB TARGET ARGS...` (an OpenFlow verb).
    pub fn ctswitch_of(&self, verb: &str, args: &[&str]) -> Output {
        Command::new(ctswitch())
            .arg(verb)
            .arg(&self.target)
            .args(args)
            .output()
            .unwrap()
    }

    /// `ovs-ofctl -O OpenFlow13 [OPTIONS] VERB TARGET ARGS...`.
    pub fn ovs_ofctl(&self, verb: &str, args: &[&str]) -> Output {
        let (opts, rest): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with("--"));
        Command::new(ovs_ofctl())
            .args(["-O", "OpenFlow13"])
            .args(opts)
            .arg(verb)
            .arg(&self.target)
            .args(rest)
            .output()
            .unwrap()
    }

    /// Adds the flows of `text` (one a line) with the real
    /// `ovs-ofctl add-flows`, failing the test if it fails.
    pub fn add_flows(&self, text: &str) {
        let file = self.dir.join("added.flows");
        std::fs::write(&file, text).unwrap();
        stdout(self.ovs_ofctl("add-flows", &[file.to_str().unwrap()]));
    }

    /// `ctswitch VERB ARGS... --socket SOCKET` (a control-socket verb).
    pub fn ctswitch_ctl(&self, verb: &str, args: &[&str]) -> Output {
        Command::new(ctswitch())
            .arg(verb)
            .args(args)
            .arg("--socket")
            .arg(&self.socket)
            .output()
            .unwrap()
    }

    /// Stops the daemon with SIGTERM; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits up to 10 s for `cond` (packet threads forward asynchronously).
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stdout of a command that must succeed.
pub fn stdout(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Lines with durations blanked, sorted (equal priorities come in the
/// classifier's own order).
pub fn normalized(dump: &str) -> Vec<String> {
    let mut lines: Vec<String> = dump
        .lines()
        .map(|l| match (l.find("duration="), l.find("s, table=")) {
            (Some(a), Some(b)) if a < b => format!("{}duration=?{}", &l[..a], &l[b + 1..]),
            _ => l.to_string(),
        })
        .collect();
    lines.sort();
    lines
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("daemon")
        .join(name)
}
