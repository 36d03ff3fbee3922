//! `ctswitch scenario` on every `tests/scenarios/*.scn`, compared with the
//! report Open vSwitch 3.1 gave for the same file through
//! `../shared/tools/ovs-scenario` (saved beside it as `*.ovs.out`).
//!
//! The first (header) line differs by design and is ignored, and so is
//! the output of an `appctl` or `ofctl` command ctswitch does not have
//! (it prints `unsupported`). Scenarios listed in `tests/scenarios/known-gaps.txt`
//! (`NAME.scn: reason`) are expected to differ; one that starts matching
//! fails the test until it is taken off the list.
//!
//! Environment: `CTSWITCH_BIN=PATH` tests that binary.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");

/// The report without its header line, as blocks: a `>` command line
/// with the indented lines it printed (comments are blocks of their own).
fn blocks(report: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for line in report.lines().skip(1) {
        match out.last_mut() {
            Some(block) if line.starts_with("  ") => block.push(line.to_string()),
            _ => out.push(vec![line.to_string()]),
        }
    }
    out
}

/// Both reports as lines, where the output of an `appctl` or `ofctl`
/// command ctswitch does not have (it prints `unsupported`) is left out
/// of the comparison.
fn comparable(expected: &str, got: &str) -> (Vec<String>, Vec<String>) {
    let (mut expected, got) = (blocks(expected), blocks(got));
    for (e, g) in expected.iter_mut().zip(&got) {
        let other = ["> appctl", "> ofctl"].iter().any(|p| g[0].starts_with(p));
        if other && e.first() == g.first() && g[1..] == ["  unsupported".to_string()] {
            e.truncate(1);
            e.push("  unsupported".into());
        }
    }
    (expected.concat(), got.concat())
}

/// A line diff good enough to see where two reports part.
fn diff(expected: &[String], got: &[String]) -> String {
    let mut out = String::new();
    let n = expected.len().max(got.len());
    let first = (0..n).find(|&i| expected.get(i) != got.get(i)).unwrap_or(n);
    for i in first.saturating_sub(3)..(first + 12).min(n) {
        match (expected.get(i), got.get(i)) {
            (Some(e), Some(g)) if e == g => out.push_str(&format!("   {e}\n")),
            (e, g) => {
                if let Some(e) = e {
                    out.push_str(&format!(" - {e}\n"));
                }
                if let Some(g) = g {
                    out.push_str(&format!(" + {g}\n"));
                }
            }
        }
    }
    out
}

fn known_gaps() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(Path::new(DIR).join("known-gaps.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once(':').unwrap_or((l, ""));
            (name.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn every_scenario_matches_ovs_or_is_a_listed_gap() {
    let gaps = known_gaps();
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".scn"))
        .collect();
    names.sort();
    assert!(names.len() >= 33, "only {} scenarios", names.len());
    for gap in gaps.keys() {
        assert!(
            names.contains(gap),
            "known-gaps.txt lists {gap}, which does not exist"
        );
    }
    let mut failures = Vec::new();
    for name in &names {
        let path = Path::new(DIR).join(name);
        let expected = std::fs::read_to_string(path.with_extension("ovs.out"))
            .unwrap_or_else(|e| panic!("{name}: no OVS report: {e}"));
        let out = Command::new(ctswitch_tests::ctswitch())
            .arg("scenario")
            .arg(&path)
            .output()
            .expect("cannot run ctswitch");
        let got = String::from_utf8_lossy(&out.stdout);
        let (expected, got) = comparable(&expected, &got);
        let matches = out.status.success() && expected == got;
        match (matches, gaps.get(name)) {
            (true, Some(_)) => failures.push(format!(
                "{name} now matches OVS: take it off known-gaps.txt"
            )),
            (false, None) => failures.push(format!(
                "{name} differs from OVS{}:\n{}",
                if out.status.success() {
                    String::new()
                } else {
                    format!(
                        " (ctswitch failed: {})",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )
                },
                diff(&expected, &got)
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn bad_scenario_lines_are_reported_with_their_number() {
    let dir = std::env::temp_dir().join(format!("ctswitch-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.scn");
    std::fs::write(&path, "# fine\nflow actions=drop\nfrobnicate now\n").unwrap();
    let out = Command::new(ctswitch_tests::ctswitch())
        .arg("scenario")
        .arg(&path)
        .output()
        .expect("cannot run ctswitch");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.scn: line 3: unknown scenario command: frobnicate now"),
        "{err}"
    );
}
