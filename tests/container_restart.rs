//! Restart policies, applied by the container's monitor (no daemon, no
//! systemd). Rewrites podman's 030-run "run --restart=always/on-failure --
//! wait" and "run --restart preserves hooks-dir" (the restart count), and
//! 130-kill "podman kill - no restart". Needs root.

mod support;

use std::time::{Duration, Instant};

use support::containers::Lab;

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn wait_returns_at_the_first_exit_of_a_restarting_container() {
    require_root!();
    let lab = Lab::new("restart_wait");
    for policy in ["always", "on-failure"] {
        lab.ok(&[
            "run",
            "-d",
            "--restart",
            policy,
            "--name",
            "r",
            "bb:1",
            "false",
        ]);
        assert_eq!(lab.ok(&["wait", "r"]), "1", "{policy}");
        lab.ok(&["rm", "-f", "r"]);
        assert!(lab.container_dirs().is_empty(), "rm -f ended the restarts");
    }
}

#[test]
fn on_failure_with_a_limit_restarts_that_many_times() {
    require_root!();
    let lab = Lab::new("restart_count");
    lab.ok(&[
        "run",
        "-d",
        "--restart",
        "on-failure:2",
        "--name",
        "flaky",
        "bb:1",
        "sh",
        "-c",
        "echo run; exit 1",
    ]);
    wait_for("the last run", || {
        let c = lab.inspect("flaky");
        c["RestartCount"] == 2 && c["State"]["Status"] == "exited"
    });
    let c = lab.inspect("flaky");
    assert_eq!(c["State"]["ExitCode"], 1);
    assert_eq!(c["HostConfig"]["RestartPolicy"], "on-failure:2");
    assert_eq!(
        lab.ok(&["logs", "flaky"]),
        "run\nrun\nrun",
        "three runs, one log"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(lab.inspect("flaky")["RestartCount"], 2, "no fourth run");
    // A user's start begins a new count.
    lab.ok(&["start", "flaky"]);
    wait_for("the new runs", || {
        let c = lab.inspect("flaky");
        c["State"]["Status"] == "exited" && lab.ok(&["logs", "flaky"]).lines().count() == 6
    });
    assert_eq!(lab.inspect("flaky")["RestartCount"], 2);
}

#[test]
fn on_failure_leaves_a_successful_exit_alone() {
    require_root!();
    let lab = Lab::new("restart_success");
    lab.ok(&[
        "run",
        "-d",
        "--restart",
        "on-failure",
        "--name",
        "ok",
        "bb:1",
        "true",
    ]);
    assert_eq!(lab.ok(&["wait", "ok"]), "0");
    std::thread::sleep(Duration::from_millis(400));
    let c = lab.inspect("ok");
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["RestartCount"], 0);
}

#[test]
fn a_kill_by_the_user_is_not_undone_by_the_policy() {
    require_root!();
    let lab = Lab::new("restart_kill");
    lab.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        "k",
        "bb:1",
        "sh",
        "-c",
        "trap 'exit 42' TERM; echo READY; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("k", "READY");
    assert_eq!(lab.status("k"), "running");
    lab.ok(&["kill", "-s", "TERM", "k"]);
    assert_eq!(lab.ok(&["wait", "k"]), "42");
    std::thread::sleep(Duration::from_millis(500));
    let c = lab.inspect("k");
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["StoppedByUser"], true);
    assert_eq!(c["RestartCount"], 0);
}

#[test]
fn always_restarts_a_process_that_exits_until_stopped() {
    require_root!();
    let lab = Lab::new("restart_always");
    lab.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        "loop",
        "bb:1",
        "sh",
        "-c",
        "echo tick; sleep 0.2",
    ]);
    wait_for("three restarts", || {
        lab.inspect("loop")["RestartCount"].as_u64().unwrap() >= 3
    });
    let shown = lab.ok(&["ps", "--format", "json"]);
    assert!(
        shown.contains("\"loop\""),
        "a restarting container is listed as live: {shown}"
    );
    lab.ok(&["stop", "loop"]);
    let after = lab.inspect("loop");
    assert_eq!(after["State"]["Status"], "exited");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        lab.inspect("loop")["RestartCount"],
        after["RestartCount"],
        "stopped for good"
    );
}

#[test]
fn an_invalid_policy_is_a_usage_error() {
    require_root!();
    let lab = Lab::new("restart_invalid");
    let err = lab.fails(2, &["run", "-d", "--restart", "sometimes", "bb:1", "true"]);
    assert!(
        err.contains("invalid restart policy \"sometimes\""),
        "{err}"
    );
    lab.fails(2, &["create", "--restart", "on-failure:x", "bb:1", "true"]);
    assert!(lab.container_dirs().is_empty());
}
