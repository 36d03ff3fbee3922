//! `ctswitchd` given (almost) nothing runs the embedded default: bridge
//! br0 with dummy ports p1 and p2 and the control socket in the run
//! directory, found there by `ctswitch` without `--socket`. (The listener
//! is moved to a free port: tests never take a fixed one. The default
//! listener itself is checked by the daemon's unit tests.) A TOML file
//! configures the same settings as the flags.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::process::Command;

use ctswitch_tests::{ctswitch, ctswitchd};
use daemon_support::{private_dir, stdout, Daemon};

#[test]
fn the_default_configuration_starts_and_answers() {
    let dir = private_dir("default");
    let socket = dir.join("ctswitch").join("ctswitchd.ctl");
    let mut cmd = Command::new(ctswitchd());
    cmd.env("XDG_RUNTIME_DIR", &dir)
        .args(["--listen", "ptcp:0:127.0.0.1"]);
    let d = Daemon::spawn(cmd, dir.clone(), socket.clone());
    assert!(socket.exists());
    let show = stdout(d.ctswitch_of("show", &[]));
    assert!(show.contains(" 1(p1): addr:"), "{show}");
    assert!(show.contains(" 2(p2): addr:"), "{show}");
    assert!(show.contains(" LOCAL(br0): addr:"), "{show}");
    let out = Command::new(ctswitch())
        .env("XDG_RUNTIME_DIR", &dir)
        .arg("dump-conntrack")
        .output()
        .unwrap();
    assert_eq!(stdout(out), "");
}

#[test]
fn a_config_file_sets_what_the_flags_set() {
    let dir = private_dir("config-file");
    let file = dir.join("ctswitchd.toml");
    std::fs::write(
        &file,
        "bridge = \"edge\"\ndatapath_id = 42\nport = [\"7=dummy:uplink\"]\nct_zone_limit = [\"default=10\"]\n",
    )
    .unwrap();
    let d = Daemon::start("config-file-daemon", &["--config", file.to_str().unwrap()]);
    let show = stdout(d.ctswitch_of("show", &[]));
    assert!(show.contains("dpid:000000000000002a"), "{show}");
    assert!(show.contains(" 7(uplink): addr:"), "{show}");
    assert!(show.contains(" LOCAL(edge): addr:"), "{show}");
    assert!(!show.contains("(p1)"), "{show}");
}

#[test]
fn a_bad_configuration_is_one_clear_line() {
    let out = Command::new(ctswitchd())
        .args(["--port", "1=pcap:,", "--listen", "ptcp:0:127.0.0.1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().last().unwrap(),
        "ctswitchd: 1=pcap:,: a pcap port is pcap:IN.pcap[,OUT.pcap] or pcap:,OUT.pcap"
    );
    let missing = Command::new(ctswitchd())
        .args(["--port", "1=afpacket:ctsw-nosuch0"])
        .args(["--listen", "ptcp:0:127.0.0.1", "--socket"])
        .arg(std::env::temp_dir().join(format!("ctsw-nosuch-{}.ctl", std::process::id())))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr)
            .lines()
            .last()
            .unwrap(),
        "ctswitchd: ctsw-nosuch0: No such device (os error 19)"
    );
}
