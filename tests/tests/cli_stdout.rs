//! The CLI's standard output going away: `ctswitch VERB | head` must end
//! `ctswitch` quietly, as it ends ovs-ofctl, with the status of a program
//! SIGPIPE ended (141 in a shell), not with a panic on stderr.
//!
//! Environment: `CTSWITCH_BIN=PATH` tests that binary instead of building
//! `cargo build -p ctswitch --bin ctswitch`.

// A test harness: its helpers fail the test by panicking.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn a_reader_that_goes_away_ends_the_verb_quietly() {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/ct/tcp-session.pcap");
    // The reader (`true`) has exited well before the verb starts to
    // write, so its first write finds the pipe closed. Its stderr goes to
    // ours (descriptor 3), to be read here.
    let script = r#"exec 3>&1
{ sleep 0.3; exec "$0" ct-replay --commit "$1"; } 2>&3 | true
echo "status ${PIPESTATUS[0]}""#;
    let out = Command::new("bash")
        .args(["-c", script])
        .arg(ctswitch_tests::ctswitch())
        .arg(&capture)
        .output()
        .expect("bash runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "status 141\n");
}
