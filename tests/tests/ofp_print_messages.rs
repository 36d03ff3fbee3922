//! Live comparison of `ctswitch ofp-print HEX` with the real
//! `ovs-ofctl ofp-print HEX` (Open vSwitch 3.1) on every message of
//! `tests/corpus/messages.txt`: same stdout, same exit status.
//!
//! The corpus holds messages captured from ovs-ofctl (requests, through
//! ofctl-capture) and from a running OVS (replies), plus hand-built ones for
//! the fields and faults those do not reach. Nothing expected is stored: the
//! oracle is asked every time, and a missing ovs-ofctl fails the test.
//!
//! Environment: `CTSWITCH_BIN=PATH` tests that binary instead of building
//! `cargo build -p ctswitch --bin ctswitch`; `OVS_OFCTL=PATH` uses that
//! ovs-ofctl.

// A test harness: its helpers fail the test by panicking.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/messages.txt");

/// The hex lines of the corpus (comments and blank lines dropped).
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(CORPUS).unwrap_or_else(|e| panic!("{CORPUS}: {e}"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn ovs_ofctl() -> PathBuf {
    let path = PathBuf::from(std::env::var("OVS_OFCTL").unwrap_or_else(|_| "ovs-ofctl".into()));
    let ok = Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "ovs-ofctl ({}) is missing or broken: install openvswitch-common",
        path.display()
    );
    path
}

/// Exit status and stdout of `program ofp-print hex`.
fn ofp_print(program: &Path, hex: &str) -> (Option<i32>, String) {
    let out = Command::new(program)
        .args(["ofp-print", hex])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn ofp_print_matches_ovs_ofctl_on_the_message_corpus() {
    let lines = corpus();
    assert!(
        lines.len() >= 100,
        "the corpus shrank to {} messages",
        lines.len()
    );
    let ovs = ovs_ofctl();
    let ours = ctswitch_tests::ctswitch();
    let mut failures = Vec::new();
    for hex in &lines {
        let expected = ofp_print(&ovs, hex);
        let got = ofp_print(ours, hex);
        if expected != got {
            failures.push(format!(
                "{hex}\n--- ovs-ofctl ({:?}):\n{}--- ctswitch ({:?}):\n{}",
                expected.0, expected.1, got.0, got.1
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} messages print differently:\n\n{}",
        failures.len(),
        lines.len(),
        failures.join("\n")
    );
}
