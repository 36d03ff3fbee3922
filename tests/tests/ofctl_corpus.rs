//! Live comparison of `ctswitch` with the real `ovs-ofctl` (Open vSwitch 3.1)
//! on the flow corpus in `tests/corpus/` (see `tests/corpus/README.md`).
//!
//! For every line of `flows-good.txt`:
//! * (a) `ctswitch parse-flow --hex FLOW` prints the FLOW_MOD that
//!   `ovs-ofctl -O OpenFlow13 -mmmmm parse-flow FLOW` encodes, with the xid
//!   zeroed, as one line of lowercase hex;
//! * (b) `ctswitch ofp-print HEX` prints what `ovs-ofctl ofp-print HEX`
//!   prints, HEX being ovs-ofctl's own bytes (xid 1);
//! * (c) `ctswitch parse-flow FLOW` prints what
//!   `ovs-ofctl -O OpenFlow13 parse-flow FLOW` prints.
//!
//! For every line of `flows-bad.txt`, (d): both exit with status 1, print
//! the same stdout (usually nothing), and ctswitch prints exactly one
//! stderr line, `ctswitch: MESSAGE`, where ovs-ofctl's last stderr line is
//! `ovs-ofctl: MESSAGE`.
//!
//! `known-gaps.txt` lists, per check, the lines ctswitch is known not to
//! match yet and why; they are counted but do not fail the test, and one
//! that starts matching fails it until it is taken off the list.
//!
//! A failing test prints every mismatching line (flow, expected, got) and
//! the counts: `cargo test -p ctswitch-tests --test ofctl_corpus -- --nocapture`.
//!
//! Environment:
//! * `CTSWITCH_CORPUS_FILTER=SUBSTRING` keeps only the corpus lines that
//!   contain SUBSTRING;
//! * `CTSWITCH_BIN=PATH` tests that binary instead of building
//!   `cargo build -p ctswitch --bin ctswitch`;
//! * `OVS_OFCTL=PATH` uses that ovs-ofctl instead of the one on `PATH`;
//! * `CTSWITCH_CORPUS_JOBS=N` runs N processes at a time.
//!
//! A missing or unusable ovs-ofctl fails the tests; it never skips them.

// A test harness: its helpers fail the test by panicking.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use ctswitch_tests::{ctswitch, ovs_ofctl};

/// Longest time one ovs-ofctl or ctswitch process may take.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Running processes

/// What one process did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    /// Exit status; `None` if it was killed by a signal or timed out.
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// A one-line summary of the exit status and stderr, for reports.
    fn describe_failure(&self) -> String {
        let status = match self.status {
            Some(code) => format!("exit {code}"),
            None => "killed or timed out".to_string(),
        };
        format!("{status}; stderr: {}", one_line(&self.stderr))
    }
}

/// Runs `program args...` with a timeout. Panics if it cannot be started.
fn run(program: &Path, args: &[&str]) -> Run {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => panic!("cannot run {}: {err}", program.display()),
    };
    let (tx, rx) = mpsc::channel();
    let pipes: [(usize, Option<Box<dyn Read + Send>>); 2] = [
        (
            0,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            1,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ];
    for (which, pipe) in pipes {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            let _ = tx.send((which, buf));
        });
    }
    let mut out = [Vec::new(), Vec::new()];
    let deadline = std::time::Instant::now() + PROCESS_TIMEOUT;
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok((which, buf)) => out[which] = buf,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Run {
                    status: None,
                    stdout: String::from_utf8_lossy(&out[0]).into_owned(),
                    stderr: format!("timed out after {PROCESS_TIMEOUT:?}"),
                };
            }
        }
    }
    let status = child.wait().ok().and_then(|s| s.code());
    let [stdout, stderr] = out;
    Run {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Maps `f` over `items` on a few threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let jobs = std::env::var("CTSWITCH_CORPUS_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)))
        .max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker thread panicked"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

// ---------------------------------------------------------------------------
// The two programs

// ---------------------------------------------------------------------------
// The corpus

/// The lines of `tests/corpus/NAME`, without comments and blank lines,
/// restricted by `CTSWITCH_CORPUS_FILTER`.
fn corpus(name: &str) -> Vec<String> {
    let path = corpus_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let filter = std::env::var("CTSWITCH_CORPUS_FILTER").unwrap_or_default();
    corpus_lines(&text)
        .into_iter()
        .filter(|line| line.contains(filter.as_str()))
        .collect()
}

/// `tests/corpus/NAME`.
fn corpus_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

fn corpus_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The bytes of the last hex dump (`00000000  04 0e 00 68 ...-... |...|`)
/// in ovs-ofctl's output.
fn hex_dump_bytes(text: &str) -> Option<Vec<u8>> {
    let mut bytes: Option<Vec<u8>> = None;
    for line in text.lines() {
        let Some((offset, rest)) = line.split_once("  ") else {
            continue;
        };
        if offset.len() != 8 || !offset.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(offset) = usize::from_str_radix(offset, 16) else {
            continue;
        };
        let data = rest.split('|').next().unwrap_or("");
        let row = data
            .split([' ', '-'])
            .filter(|s| !s.is_empty())
            .map(|s| u8::from_str_radix(s, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        if offset == 0 {
            bytes = Some(row);
        } else if let Some(b) = bytes.as_mut().filter(|b| b.len() == offset) {
            b.extend(row);
        } else {
            return None;
        }
    }
    bytes
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The OpenFlow message with its xid (bytes 4..8) set to zero.
fn zero_xid(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for b in out.iter_mut().skip(4).take(4) {
        *b = 0;
    }
    out
}

/// The message of ovs-ofctl's last `ovs-ofctl: ` stderr line.
fn ovs_error_message(stderr: &str) -> Option<&str> {
    stderr.lines().last()?.strip_prefix("ovs-ofctl: ")
}

// ---------------------------------------------------------------------------
// What ovs-ofctl says (computed once per test process)

#[derive(Debug)]
struct GoodOracle {
    flow: String,
    /// `ovs-ofctl -O OpenFlow13 parse-flow FLOW`
    text: Run,
    /// The FLOW_MOD from `-mmmmm parse-flow` (xid 1); `None` if not found.
    bytes: Option<Vec<u8>>,
    /// `ovs-ofctl ofp-print HEX` of those bytes.
    print: Option<Run>,
}

#[derive(Debug)]
struct BadOracle {
    flow: String,
    run: Run,
}

fn good_oracle() -> &'static [GoodOracle] {
    static GOOD: OnceLock<Vec<GoodOracle>> = OnceLock::new();
    GOOD.get_or_init(|| {
        let ovs = ovs_ofctl();
        parallel_map(&corpus("flows-good.txt"), |flow| {
            let text = run(ovs, &["-O", "OpenFlow13", "parse-flow", flow]);
            let dump = run(ovs, &["-O", "OpenFlow13", "-mmmmm", "parse-flow", flow]);
            let bytes = hex_dump_bytes(&dump.stdout).filter(|b| length_field_ok(b));
            let print = bytes.as_ref().map(|b| run(ovs, &["ofp-print", &to_hex(b)]));
            GoodOracle {
                flow: flow.clone(),
                text,
                bytes,
                print,
            }
        })
    })
}

fn bad_oracle() -> &'static [BadOracle] {
    static BAD: OnceLock<Vec<BadOracle>> = OnceLock::new();
    BAD.get_or_init(|| {
        let ovs = ovs_ofctl();
        parallel_map(&corpus("flows-bad.txt"), |flow| BadOracle {
            flow: flow.clone(),
            run: run(ovs, &["-O", "OpenFlow13", "parse-flow", flow]),
        })
    })
}

/// Whether the OpenFlow header's length field matches the message length.
fn length_field_ok(bytes: &[u8]) -> bool {
    match bytes.get(2..4) {
        Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])) == bytes.len(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Reports

#[derive(Debug)]
struct Mismatch {
    flow: String,
    expected: String,
    got: String,
}

/// Collects mismatches of one check and fails with all of them.
#[derive(Debug)]
struct Report {
    check: &'static str,
    checked: usize,
    mismatches: Vec<Mismatch>,
    /// Lines this check is known not to match yet (`known-gaps.txt`).
    gaps: Vec<String>,
    /// Known gaps seen mismatching, as expected.
    gaps_seen: usize,
    /// Known gaps that now match: the list must be updated.
    gaps_closed: Vec<String>,
}

impl Report {
    fn new(check: &'static str) -> Report {
        let gaps = std::fs::read_to_string(corpus_path("known-gaps.txt")).unwrap_or_default();
        Report::with_gaps(check, &gaps)
    }

    fn with_gaps(check: &'static str, gaps: &str) -> Report {
        Report {
            check,
            checked: 0,
            mismatches: Vec::new(),
            gaps: known_gaps(gaps, check),
            gaps_seen: 0,
            gaps_closed: Vec::new(),
        }
    }

    /// Records one compared line; `None` means it matched.
    fn record(&mut self, flow: &str, outcome: Option<(String, String)>) {
        self.checked += 1;
        if self.gaps.iter().any(|g| g == flow) {
            match outcome {
                Some(_) => self.gaps_seen += 1,
                None => self.gaps_closed.push(flow.to_string()),
            }
            return;
        }
        if let Some((expected, got)) = outcome {
            self.mismatches.push(Mismatch {
                flow: flow.to_string(),
                expected,
                got,
            });
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for m in &self.mismatches {
            out.push_str(&format!("--- {}\n", m.flow));
            out.push_str(&indent("expected: ", &m.expected));
            out.push_str(&indent("got:      ", &m.got));
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    fn summary(&self) -> String {
        let mismatched = self.mismatches.len() + self.gaps_seen;
        let mut s = format!(
            "{}: {} of {} corpus lines mismatch, {} match",
            self.check,
            mismatched,
            self.checked,
            self.checked - mismatched
        );
        if self.gaps_seen > 0 {
            s.push_str(&format!(
                " ({} of the mismatches are known gaps)",
                self.gaps_seen
            ));
        }
        s
    }

    /// Prints the report and panics if anything mismatched.
    fn finish(self) {
        assert!(
            self.checked > 0 || std::env::var("CTSWITCH_CORPUS_FILTER").is_ok(),
            "{}: the corpus is empty",
            self.check
        );
        for flow in &self.gaps_closed {
            eprintln!("known gap now matches, remove it from known-gaps.txt: {flow}");
        }
        if self.mismatches.is_empty() && self.gaps_closed.is_empty() {
            eprintln!("{}", self.summary());
        } else {
            eprint!("{}", self.render());
            panic!("{}", self.summary());
        }
    }
}

/// The flows `known-gaps.txt` lists for `check`: lines `CHECK<TAB>FLOW`,
/// under `#` comments that say why each gap is there.
fn known_gaps(text: &str, check: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .filter(|(c, _)| *c == check)
        .map(|(_, flow)| flow.to_string())
        .collect()
}

/// `label` before the first line of `text`, the other lines aligned under it.
fn indent(label: &str, text: &str) -> String {
    let pad = " ".repeat(label.len() + 2);
    let mut out = String::new();
    let text = if text.is_empty() { "(nothing)" } else { text };
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("  {label}{line}\n"));
        } else {
            out.push_str(&format!("{pad}{line}\n"));
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.trim_end().replace('\n', " \\n ")
}

// ---------------------------------------------------------------------------
// The comparisons, as pure functions of the two programs' outputs

/// (a): `ctswitch parse-flow --hex` against ovs-ofctl's bytes.
fn compare_hex(expected_bytes: &[u8], got: &Run) -> Option<(String, String)> {
    let expected = to_hex(&zero_xid(expected_bytes));
    if got.status == Some(0) && got.stdout.trim_end_matches('\n') == expected {
        return None;
    }
    let got = if got.status == Some(0) {
        got.stdout.clone()
    } else {
        got.describe_failure()
    };
    Some((expected, got))
}

/// (b), (c): the same stdout and exit status.
fn compare_output(expected: &Run, got: &Run) -> Option<(String, String)> {
    if expected.status == got.status && expected.stdout == got.stdout {
        return None;
    }
    let show = |r: &Run| {
        if r.status == Some(0) {
            r.stdout.clone()
        } else if r.stdout.is_empty() {
            r.describe_failure()
        } else {
            format!("{}\nstdout:\n{}", r.describe_failure(), r.stdout)
        }
    };
    Some((show(expected), show(got)))
}

/// (d): both reject, exit 1, same stdout, and one `ctswitch: MESSAGE` line.
fn compare_rejection(expected: &Run, got: &Run) -> Option<(String, String)> {
    let message = ovs_error_message(&expected.stderr).unwrap_or("(no ovs-ofctl: line)");
    let want = format!("ctswitch: {message}");
    let got_lines: Vec<&str> = got.stderr.lines().collect();
    let ok = got.status == Some(1) && got_lines == [want.as_str()] && got.stdout == expected.stdout;
    if ok {
        return None;
    }
    let expected_text = if expected.stdout.is_empty() {
        format!("exit 1; stderr: {want}")
    } else {
        format!(
            "exit 1; stderr: {want}\nstdout: {}",
            one_line(&expected.stdout)
        )
    };
    let mut got_text = got.describe_failure();
    if !got.stdout.is_empty() {
        got_text.push_str(&format!("\nstdout: {}", one_line(&got.stdout)));
    }
    Some((expected_text, got_text))
}

// ---------------------------------------------------------------------------
// The tests

/// The corpus itself is right: ovs-ofctl accepts every good line (and we
/// found its bytes) and rejects every bad one with an `ovs-ofctl:` message.
/// Runs without ctswitch.
#[test]
fn corpus_agrees_with_ovs_ofctl() {
    let mut good = Report::new("good corpus accepted by ovs-ofctl");
    for o in good_oracle() {
        let outcome = match (&o.bytes, &o.print) {
            (Some(_), Some(print)) if o.text.status == Some(0) && print.status == Some(0) => None,
            _ => Some((
                "accepted, with a FLOW_MOD hex dump".to_string(),
                o.text.describe_failure(),
            )),
        };
        good.record(&o.flow, outcome);
    }
    let mut bad = Report::new("bad corpus rejected by ovs-ofctl");
    for o in bad_oracle() {
        let ok = o.run.status == Some(1) && ovs_error_message(&o.run.stderr).is_some();
        let outcome = (!ok).then(|| {
            (
                "exit 1 and a last line `ovs-ofctl: MESSAGE`".to_string(),
                format!("{}\n{}", o.run.describe_failure(), o.run.stdout),
            )
        });
        bad.record(&o.flow, outcome);
    }
    let mut seen = std::collections::HashSet::new();
    let mut dup = Report::new("corpus lines are unique");
    for flow in good_oracle()
        .iter()
        .map(|o| &o.flow)
        .chain(bad_oracle().iter().map(|o| &o.flow))
    {
        let outcome = (!seen.insert(flow.clone())).then(|| {
            (
                "a line seen once".to_string(),
                "a repeated line".to_string(),
            )
        });
        dup.record(flow, outcome);
    }
    good.finish();
    bad.finish();
    dup.finish();
}

/// (a) `ctswitch parse-flow --hex FLOW` equals ovs-ofctl's FLOW_MOD bytes.
#[test]
fn good_flows_hex_matches_ovs_ofctl() {
    let oracle = good_oracle();
    let ct = ctswitch();
    let got = parallel_map(oracle, |o| run(ct, &["parse-flow", "--hex", &o.flow]));
    let mut report = Report::new("parse-flow --hex");
    for (o, got) in oracle.iter().zip(&got) {
        let outcome = match &o.bytes {
            Some(bytes) => compare_hex(bytes, got),
            None => Some(("(ovs-ofctl gave no bytes)".into(), String::new())),
        };
        report.record(&o.flow, outcome);
    }
    report.finish();
}

/// (b) `ctswitch ofp-print HEX` of ovs-ofctl's bytes prints what ovs-ofctl prints.
#[test]
fn good_flows_ofp_print_matches_ovs_ofctl() {
    let oracle = good_oracle();
    let ct = ctswitch();
    let got = parallel_map(oracle, |o| {
        o.bytes
            .as_ref()
            .map(|bytes| run(ct, &["ofp-print", &to_hex(bytes)]))
    });
    let mut report = Report::new("ofp-print");
    for (o, got) in oracle.iter().zip(&got) {
        let outcome = match (&o.print, got) {
            (Some(expected), Some(got)) => compare_output(expected, got),
            _ => Some(("(ovs-ofctl gave no bytes)".into(), String::new())),
        };
        report.record(&o.flow, outcome);
    }
    report.finish();
}

/// (c) `ctswitch parse-flow FLOW` prints what ovs-ofctl prints.
#[test]
fn good_flows_parse_flow_text_matches_ovs_ofctl() {
    let oracle = good_oracle();
    let ct = ctswitch();
    let got = parallel_map(oracle, |o| run(ct, &["parse-flow", &o.flow]));
    let mut report = Report::new("parse-flow");
    for (o, got) in oracle.iter().zip(&got) {
        report.record(&o.flow, compare_output(&o.text, got));
    }
    report.finish();
}

/// (d) Bad flows: rejected as ovs-ofctl rejects them, with the same message.
#[test]
fn bad_flows_rejected_like_ovs_ofctl() {
    let oracle = bad_oracle();
    let ct = ctswitch();
    let got = parallel_map(oracle, |o| run(ct, &["parse-flow", &o.flow]));
    let mut report = Report::new("parse-flow (bad flows)");
    for (o, got) in oracle.iter().zip(&got) {
        report.record(&o.flow, compare_rejection(&o.run, got));
    }
    report.finish();
}

// ---------------------------------------------------------------------------
// Unit tests of the harness itself

fn ok_run(stdout: &str) -> Run {
    Run {
        status: Some(0),
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

#[test]
fn harness_parses_ovs_hex_dumps() {
    let text = "usable protocols: any\nchosen protocol: OXM-OpenFlow13\n\
        OFPT_FLOW_MOD (OF1.3) (xid=0x1): ADD actions=drop\n\
        00000000  04 0e 00 38 00 00 00 01-00 00 00 00 00 00 00 00 |...8............|\n\
        00000010  00 00 00 00 00 00 00 00-00 00 00 00 00 00 80 00 |................|\n\
        00000020  ff ff ff ff ff ff ff ff-ff ff ff ff 00 00 00 00 |................|\n\
        00000030  00 01 00 04 00 00 00 00-                        |........        |\n";
    let bytes = hex_dump_bytes(text).expect("a dump");
    assert_eq!(bytes.len(), 0x38);
    assert!(length_field_ok(&bytes));
    assert_eq!(&bytes[..8], &[0x04, 0x0e, 0x00, 0x38, 0, 0, 0, 1]);
    assert_eq!(&bytes[0x30..], &[0, 1, 0, 4, 0, 0, 0, 0]);
    assert_eq!(to_hex(&zero_xid(&bytes[..8])), "040e003800000000");
    assert_eq!(hex_dump_bytes("no dump here"), None);
    // A row that does not follow the previous one is not a dump.
    assert_eq!(
        hex_dump_bytes("00000000  04 0e\n00000020  00 00\n"),
        None,
        "a gap in the offsets"
    );
}

#[test]
fn harness_compares_hex() {
    let bytes = [0x04, 0x0e, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01];
    assert_eq!(compare_hex(&bytes, &ok_run("040e000800000000\n")), None);
    assert!(compare_hex(&bytes, &ok_run("040e000800000001\n")).is_some());
    assert!(compare_hex(&bytes, &ok_run("040E000800000000\n")).is_some());
    let failed = Run {
        status: Some(1),
        stdout: String::new(),
        stderr: "ctswitch: not built yet\n".into(),
    };
    let (expected, got) = compare_hex(&bytes, &failed).expect("a mismatch");
    assert_eq!(expected, "040e000800000000");
    assert_eq!(got, "exit 1; stderr: ctswitch: not built yet");
}

#[test]
fn harness_compares_output_and_rejections() {
    assert_eq!(compare_output(&ok_run("a\nb\n"), &ok_run("a\nb\n")), None);
    assert!(compare_output(&ok_run("a\nb\n"), &ok_run("a\nb")).is_some());
    let ovs = Run {
        status: Some(1),
        stdout: String::new(),
        stderr: "2026-01-01T00:00:00Z|00001|ofp_actions|WARN|x\novs-ofctl: unknown action bogus\n"
            .into(),
    };
    let good = Run {
        status: Some(1),
        stdout: String::new(),
        stderr: "ctswitch: unknown action bogus\n".into(),
    };
    assert_eq!(compare_rejection(&ovs, &good), None);
    let two_lines = Run {
        stderr: "warning\nctswitch: unknown action bogus\n".into(),
        ..good.clone()
    };
    assert!(compare_rejection(&ovs, &two_lines).is_some());
    let status_2 = Run {
        status: Some(2),
        ..good.clone()
    };
    assert!(compare_rejection(&ovs, &status_2).is_some());
    let other_message = Run {
        stderr: "ctswitch: unknown action\n".into(),
        ..good
    };
    assert!(compare_rejection(&ovs, &other_message).is_some());
}

#[test]
fn known_gaps_are_counted_and_closed_gaps_are_reported() {
    let gaps = "# not built yet\nparse-flow\tlearn(x),actions=drop\nhex\tother\n";
    let mut report = Report::with_gaps("parse-flow", gaps);
    report.record("learn(x),actions=drop", Some(("a".into(), "b".into())));
    assert!(report.mismatches.is_empty());
    assert_eq!(report.gaps_seen, 1);
    report.record("learn(x),actions=drop", None);
    assert_eq!(report.gaps_closed, ["learn(x),actions=drop"]);
    report.record("other", Some(("a".into(), "b".into())));
    assert_eq!(report.mismatches.len(), 1, "gaps belong to one check");
}

#[test]
fn harness_reads_corpus_lines_and_reports() {
    assert_eq!(
        corpus_lines("# c\n\nip,actions=drop\n  \ntcp,actions=drop\n"),
        ["ip,actions=drop", "tcp,actions=drop"]
    );
    let mut report = Report::new("check");
    report.record("ip,actions=drop", None);
    report.record("tcp,actions=drop", Some(("x\ny".into(), String::new())));
    assert_eq!(
        report.render(),
        "--- tcp,actions=drop\n  expected: x\n            y\n  got:      (nothing)\n\
         check: 1 of 2 corpus lines mismatch, 1 match\n"
    );
}
