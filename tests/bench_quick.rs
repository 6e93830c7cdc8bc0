//! The benchmark suite runs: `benches/bench.sh --quick` exits 0 and prints a
//! table for each of its eight scenarios. Timings are never judged here: a
//! quick run measures each command once on tiny inputs, on a busy CI machine.

use std::path::Path;
use std::process::Command;

const SCENARIOS: [&str; 8] = [
    "== 1. cold build",
    "== 2. fully cached rebuild",
    "== 3. large context",
    "== 4. RUN touch /x by base size",
    "== 5. run true",
    "== 6. peak RSS",
    "== 7. parse corpus",
    "== 8. containers",
];

#[test]
fn quick_suite_runs_and_prints_every_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("benches/bench.sh"))
        .arg("--quick")
        .arg("--strata")
        .arg(env!("CARGO_BIN_EXE_strata"))
        // bench.sh's own default; said here so the test does not rely on it.
        .env("STRATA_NETWORK_DEFAULT", "host")
        .output()
        .expect("benches/bench.sh can be started");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bench.sh --quick failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for title in SCENARIOS {
        assert!(stdout.contains(title), "no table {title:?} in:\n{stdout}");
    }
    // Every build table compares strata with both peers.
    let header = "strata/BuildKit  strata/buildah";
    assert!(
        stdout.matches(header).count() >= 4,
        "the build tables lack the ratio columns:\n{stdout}"
    );
}
