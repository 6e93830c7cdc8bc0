//! The README's main command: scripts/demo.sh imports busybox, builds
//! examples/hello, runs the image and lists the build cache.

use std::process::Command;

#[test]
fn the_demo_script_builds_and_runs_the_example() {
    let store = tempfile::tempdir().expect("tempdir");
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo.sh"))
        .env("STRATA_BIN", env!("CARGO_BIN_EXE_strata"))
        // Not a network test: the demo's run shares the host's network.
        .env("STRATA_NETWORK_DEFAULT", "host")
        .env("STRATA_ROOT", store.path())
        .output()
        .expect("run demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    let greeting = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/hello/greeting.txt"
    ))
    .expect("greeting");
    assert!(
        stdout.contains(&greeting.to_uppercase()),
        "the image's CMD printed the shouted greeting:\n{stdout}"
    );
    // cache ls: a header and one row per filesystem step of the example.
    let rows = stdout.lines().filter(|l| l.contains("] ")).count();
    assert_eq!(rows, 4, "{stdout}");
}
