//! Healthchecks run by the container's monitor (podman needs systemd
//! timers for this; strata needs nothing). Rewrites podman's
//! 220-healthcheck "podman healthcheck" (healthy, a failing streak,
//! unhealthy, --health-on-failure=kill), "restart cleans up old state",
//! and the issue's case of an unhealthy container restarted by its policy
//! with a count. Needs root.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::containers::Lab;

const CHECK: &str = "if test -e /uh-oh; then echo Uh-oh on stdout!; echo Uh-oh on stderr! >&2; exit 1; fi; \
                     echo Life is Good on stdout; echo Life is Good on stderr >&2";

fn health(lab: &Lab, name: &str) -> Value {
    lab.inspect(name)["State"]["Health"].clone()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_failing_check_makes_the_container_unhealthy_after_its_retries() {
    require_root!();
    let lab = Lab::new("health_basic");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "h",
        "--health-cmd",
        CHECK,
        "--health-interval",
        "200ms",
        "--health-retries",
        "3",
        "bb:1",
        "sleep",
        "100",
    ]);
    wait_for("healthy", || health(&lab, "h")["Status"] == "healthy");
    let h = health(&lab, "h");
    assert_eq!(h["FailingStreak"], 0);
    let last = h["Log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["ExitCode"], 0);
    assert_eq!(
        last["Output"],
        "Life is Good on stdout\nLife is Good on stderr\n"
    );
    let table = lab.ok(&["ps"]);
    assert!(table.contains("(healthy)"), "{table}");

    lab.ok(&["exec", "h", "touch", "/uh-oh"]);
    wait_for("a first failure", || {
        health(&lab, "h")["FailingStreak"].as_u64() >= Some(1)
    });
    let h = health(&lab, "h");
    if h["FailingStreak"].as_u64() < Some(3) {
        assert_eq!(h["Status"], "healthy", "fewer failures than retries: {h}");
    }
    wait_for("unhealthy", || health(&lab, "h")["Status"] == "unhealthy");
    let h = health(&lab, "h");
    assert!(h["FailingStreak"].as_u64() >= Some(3), "{h}");
    let last = h["Log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["ExitCode"], 1);
    assert_eq!(last["Output"], "Uh-oh on stdout!\nUh-oh on stderr!\n");
    assert!(h["Log"].as_array().unwrap().len() <= 5, "a bounded log");
    assert_eq!(
        lab.status("h"),
        "running",
        "no --health-on-failure: it keeps running"
    );

    lab.ok(&["exec", "h", "rm", "/uh-oh"]);
    wait_for("healthy again", || health(&lab, "h")["Status"] == "healthy");
    lab.ok(&["rm", "-f", "h"]);
}

#[test]
fn health_on_failure_kill_ends_an_unhealthy_container() {
    require_root!();
    let lab = Lab::new("health_kill");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "k",
        "--health-cmd",
        "exit 1",
        "--health-interval",
        "100ms",
        "--health-retries",
        "2",
        "--health-on-failure",
        "kill",
        "bb:1",
        "sleep",
        "100",
    ]);
    assert_eq!(lab.ok(&["wait", "k"]), "137");
    assert_eq!(health(&lab, "k")["Status"], "unhealthy");
    assert_eq!(lab.inspect("k")["State"]["StoppedByUser"], false);
}

#[test]
fn an_unhealthy_container_is_restarted_by_its_policy_with_a_count() {
    require_root!();
    let lab = Lab::new("health_restart");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "r",
        "--restart",
        "on-failure:2",
        "--health-cmd",
        "exit 1",
        "--health-interval",
        "100ms",
        "--health-retries",
        "1",
        "--health-on-failure",
        "kill",
        "bb:1",
        "sleep",
        "100",
    ]);
    wait_for("two restarts and the end", || {
        let c = lab.inspect("r");
        c["RestartCount"] == 2 && c["State"]["Status"] == "exited"
    });
    assert_eq!(lab.exit_code("r"), 137);
}

#[test]
fn a_restart_starts_the_health_over() {
    require_root!();
    let lab = Lab::new("health_reset");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "s",
        "--health-cmd",
        "exit 1",
        "--health-interval",
        "100ms",
        "--health-retries",
        "1",
        "bb:1",
        "sleep",
        "100",
    ]);
    wait_for("unhealthy", || health(&lab, "s")["Status"] == "unhealthy");
    lab.ok(&["stop", "s"]);
    lab.ok(&[
        "create",
        "--name",
        "plain",
        "--no-healthcheck",
        "bb:1",
        "true",
    ]);
    assert_eq!(lab.inspect("plain")["Config"]["Healthcheck"], Value::Null);
    lab.ok(&["start", "s"]);
    let h = health(&lab, "s");
    assert!(
        h["Status"] == "starting" || h["Log"].as_array().unwrap().len() <= 1,
        "{h}"
    );
    lab.ok(&["rm", "-f", "s"]);
    lab.fails(
        2,
        &["run", "-d", "--health-interval", "soon", "bb:1", "true"],
    );
    lab.fails(
        2,
        &[
            "run",
            "-d",
            "--health-on-failure",
            "explode",
            "bb:1",
            "true",
        ],
    );
}
