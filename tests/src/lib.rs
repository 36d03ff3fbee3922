//! Helpers shared by the end-to-end and interoperability tests under
//! `tests/tests/`: the two programs they run, `ctswitch` (built once per
//! test process) and the real `ovs-ofctl` (whose absence fails loudly,
//! never skips).

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The ovs-ofctl to compare with; panics loudly if it does not run.
pub fn ovs_ofctl() -> &'static Path {
    static OVS_OFCTL: OnceLock<PathBuf> = OnceLock::new();
    OVS_OFCTL.get_or_init(|| {
        let path = PathBuf::from(std::env::var("OVS_OFCTL").unwrap_or("ovs-ofctl".into()));
        let version = Command::new(&path).arg("--version").output();
        match version {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                if !text.contains("Open vSwitch) 3.1") {
                    eprintln!(
                        "warning: the corpus was recorded against ovs-ofctl 3.1, this is: {}",
                        text.lines().next().unwrap_or("")
                    );
                }
                path
            }
            other => panic!(
                "\n\n*** ovs-ofctl is required by the live corpus tests and could not be run \
                 ({}: {other:?}).\n*** Install it (apt-get install openvswitch-common, as \
                 scripts/setup.sh does) or set OVS_OFCTL=/path/to/ovs-ofctl.\n",
                path.display()
            ),
        }
    })
}

/// The ctswitch binary under test: `$CTSWITCH_BIN`, or the one that
/// `cargo build -p ctswitch --bin ctswitch` builds now. (`cargo test
/// --workspace` does not build other packages' binaries, so it is built here.)
pub fn ctswitch() -> &'static Path {
    static CTSWITCH: OnceLock<PathBuf> = OnceLock::new();
    CTSWITCH.get_or_init(|| built_binary("CTSWITCH_BIN", "ctswitch"))
}

/// The daemon under test: `$CTSWITCHD_BIN`, or the one cargo builds now.
pub fn ctswitchd() -> &'static Path {
    static CTSWITCHD: OnceLock<PathBuf> = OnceLock::new();
    CTSWITCHD.get_or_init(|| built_binary("CTSWITCHD_BIN", "ctswitchd"))
}

/// `$ENV_VAR`, or binary `name` of package ctswitch as
/// `cargo build -p ctswitch --bin NAME` builds it now. (`cargo test
/// --workspace` does not build other packages' binaries, so it is built
/// here, once per test process.)
fn built_binary(env_var: &str, name: &str) -> PathBuf {
    if let Ok(path) = std::env::var(env_var) {
        return PathBuf::from(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or("cargo".into());
    let out = Command::new(&cargo)
        .args(["build", "-p", "ctswitch", "--bin", name])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(manifest_dir())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cargo}: {err}"));
    assert!(
        out.status.success(),
        "`cargo build -p ctswitch --bin {name}` failed; see the compiler output above"
    );
    let messages = String::from_utf8_lossy(&out.stdout);
    executable(&messages, name)
        .unwrap_or_else(|| panic!("`cargo build` reported no {name} executable"))
}

/// This package's directory. `cargo test` names it at run time; the
/// compile-time value is only the fallback, because a test binary built
/// from another checkout sharing the target directory would carry that
/// checkout's path and build the wrong sources.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Finds executable `name` in cargo's JSON messages.
fn executable(messages: &str, name: &str) -> Option<PathBuf> {
    let target = format!(r#""name":"{name}""#);
    messages
        .lines()
        .filter(|line| line.contains(r#""reason":"compiler-artifact""#))
        .filter(|line| line.contains(&target))
        .find_map(|line| {
            let start = line.find(r#""executable":""#)? + r#""executable":""#.len();
            let end = start + line[start..].find('"')?;
            Some(PathBuf::from(&line[start..end]))
        })
}

/// `ctswitch ct-replay ARGS CAPTURE`'s output; panics if it fails.
pub fn ct_replay(args: &[&str], capture: &Path) -> String {
    let out = Command::new(ctswitch())
        .arg("ct-replay")
        .args(args)
        .arg(capture)
        .output()
        .expect("cannot run ctswitch");
    assert!(
        out.status.success(),
        "ct-replay {} failed: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_is_found_in_cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","package_id":"x","target":{"kind":["bin"],"name":"ctswitch"},"executable":"/t/debug/ctswitch","fresh":true}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable(messages, "ctswitch"),
            Some(PathBuf::from("/t/debug/ctswitch"))
        );
    }
}
