//! Healthchecks in a foreground `run` (no -d, no --name): the run is a
//! recorded container under a monitor, so its health shows in `inspect`
//! and `ps` while strata waits attached, and `--health-on-failure kill`
//! ends it (strata exits 137). Podman's 220-healthcheck "podman
//! healthcheck --health-on-failure", for an attached run. Needs root.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::stdout;
use support::containers::Lab;
use support::sandbox::is_root;

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_foreground_run_is_health_checked_and_killed_when_unhealthy() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let lab = Lab::new("health_foreground");
    let mut client = lab
        .strata(&[
            "run",
            "--health-cmd",
            "test -e /ok",
            "--health-interval",
            "200ms",
            "--health-retries",
            "2",
            "--health-on-failure",
            "kill",
            "bb:1",
            "sh",
            "-c",
            "touch /ok; echo READY; while ! test -e /fail; do sleep 0.1; done; rm /ok; sleep 100",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut id = String::new();
    wait_for("the run's record", || {
        id = stdout(&lab.run(&["ps", "-q", "--no-trunc"]))
            .trim()
            .to_owned();
        !id.is_empty()
    });
    let health = |id: &str| -> Value { lab.inspect(id)["State"]["Health"].clone() };
    wait_for("healthy", || health(&id)["Status"] == "healthy");
    assert!(lab.ok(&["ps"]).contains("(healthy)"));
    lab.ok(&["exec", &id, "touch", "/fail"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = client.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the unhealthy run was not killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(137));
    assert_eq!(health(&id)["Status"], "unhealthy");
    lab.ok(&["rm", &id]);
}
