//! The README's main command: scripts/demo.sh imports busybox, builds
//! examples/hello, runs the image, lists the build cache, then brings the
//! compose project of examples/compose up and down. It runs inside a
//! network namespace made for the test, so the project's bridge network,
//! veths and firewall rules never touch the host's.

mod support;

use support::netns::TestNs;

#[test]
fn the_demo_script_builds_runs_and_composes_the_example() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: the demo's compose project needs root for its bridge network");
        return;
    }
    let ns = TestNs::new("demo");
    let store = tempfile::tempdir().expect("tempdir");
    let out = ns
        .cmd("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo.sh"))
        .env("STRATA_BIN", env!("CARGO_BIN_EXE_strata"))
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
    let shouted = greeting.trim_end().to_uppercase();
    assert!(
        stdout.contains(&shouted),
        "the image's CMD printed the shouted greeting:\n{stdout}"
    );
    // cache ls: one row per filesystem step of the example.
    let rows = stdout
        .lines()
        .filter(|l| l.contains("(hello/Dockerfile)"))
        .count();
    assert_eq!(rows, 4, "{stdout}");
    // The client fetched the web service's page by name, through the
    // project's network, after the web was healthy.
    assert!(
        stdout.contains(&format!("client-1 | {shouted}")),
        "compose logs client:\n{stdout}\n{stderr}"
    );
    // down left no container and no network of the project.
    let ps = ns
        .strata(store.path())
        .args(["ps", "-a", "-q"])
        .output()
        .expect("ps");
    assert_eq!(
        String::from_utf8_lossy(&ps.stdout).trim(),
        "",
        "containers left"
    );
    let nets = ns
        .strata(store.path())
        .args(["network", "ls"])
        .output()
        .expect("network ls");
    assert!(
        !String::from_utf8_lossy(&nets.stdout).contains("hello_default"),
        "network left: {}",
        String::from_utf8_lossy(&nets.stdout)
    );
}
