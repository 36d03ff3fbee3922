//! `ctswitch bench --quick`: the forwarding bench runs end to end and
//! reports every figure (its speed is read from its output, never timed
//! here).

use std::process::Command;

#[test]
fn the_bench_reports_every_path() {
    let out = Command::new(ctswitch_tests::ctswitch())
        .args(["bench", "--quick", "--flows", "8", "--format", "json"])
        .output()
        .expect("ctswitch bench runs");
    assert!(
        out.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bench prints JSON");
    for path in ["extract", "hit", "miss"] {
        let ns = report[path]["ns_per_packet"].as_f64().unwrap_or(0.0);
        assert!(ns > 0.0, "{path}: {report}");
    }
    assert_eq!(report["flows"], 8);
}
