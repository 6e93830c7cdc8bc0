//! The container lifecycle as an unprivileged user: the monitor and the
//! sandbox run as the user (root inside a user namespace). Mirrors podman's
//! rootless runs of 030-run "run -d", 050-stop, 075-exec and 055-rm "rm
//! after killed conmon". Needs root to create the test user; then drops to it.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::busybox::{SANDBOX, busybox_rootfs};
use support::cli::{stderr, stdout};
use support::containers::process_alive;
use support::sandbox::is_root;

const USER: &str = "strata-rootless";

fn ensure_user() {
    let exists = Command::new("id").arg(USER).output().unwrap();
    if !exists.status.success() {
        let made = Command::new("useradd")
            .args(["-M", "-s", "/bin/sh", USER])
            .output()
            .unwrap();
        assert!(made.status.success(), "useradd: {}", stderr(&made));
    }
}

/// strata as the test user, from a copy in `dir` (the build tree may be
/// out of the user's reach), on the store `dir/store`.
fn as_user(dir: &Path, args: &[&str]) -> Output {
    let exe = dir.join("strata");
    if !exe.exists() {
        std::fs::copy(env!("CARGO_BIN_EXE_strata"), &exe).unwrap();
    }
    Command::new("setpriv")
        .args(["--reuid", USER, "--regid", USER, "--init-groups", "env"])
        .arg(format!("HOME={}", dir.display()))
        // In the host's namespace: the host's network, not pasta.
        .arg(format!(
            "{}={}",
            support::cli::HOST_NETWORK.0,
            support::cli::HOST_NETWORK.1
        ))
        .arg(&exe)
        .arg("--root")
        .arg(dir.join("store"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = as_user(dir, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out).trim().to_owned()
}

fn state(dir: &Path, name: &str) -> Value {
    let v: Value = serde_json::from_str(&ok(dir, &["inspect", name])).unwrap();
    v["State"].clone()
}

#[test]
fn an_unprivileged_user_runs_stops_and_removes_detached_containers() {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    ensure_user();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rootfs = busybox_rootfs(d, &SANDBOX);
    let chown = Command::new("chown")
        .args(["-R", &format!("{USER}:{USER}")])
        .arg(d)
        .output()
        .unwrap();
    assert!(chown.status.success());
    ok(d, &["import", rootfs.to_str().unwrap(), "bb:1"]);

    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "svc",
            "bb:1",
            "sh",
            "-c",
            "id -u; echo READY; sleep 100",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok(d, &["logs", "svc"]).contains("READY") {
        assert!(Instant::now() < deadline, "no READY");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        ok(d, &["logs", "svc"]),
        "0\nREADY",
        "root inside the user namespace"
    );
    assert_eq!(state(d, "svc")["Status"], "running");
    // exec joins the user namespace too: root inside, confined.
    let inside = ok(
        d,
        &[
            "exec",
            "svc",
            "sh",
            "-c",
            "id -u; grep NoNewPrivs /proc/self/status",
        ],
    );
    assert_eq!(inside.lines().next(), Some("0"), "{inside}");
    // no_new_privs is off, as in the container's own process (issue 12).
    assert!(inside.ends_with('0'), "{inside}");
    let paused = as_user(d, &["pause", "svc"]);
    assert_eq!(paused.status.code(), Some(1));
    assert!(
        stderr(&paused).contains("needs the cgroup freezer"),
        "{}",
        stderr(&paused)
    );
    assert_eq!(state(d, "svc")["Status"], "running");
    // top and stats find the processes though no namespace link of them
    // can be read; stats says it summed them (no cgroup delegation).
    let top = ok(d, &["top", "svc"]);
    assert!(top.contains("sleep 100"), "{top}");
    let stats = ok(d, &["stats", "--no-stream", "--format", "json", "svc"]);
    assert!(stats.contains("\"Source\": \"processes\""), "{stats}");
    // A terminal of the container's devpts, in the user namespace too.
    let tty = ok(d, &["exec", "-t", "svc", "tty"]);
    assert!(tty.starts_with("/dev/pts/"), "{tty}");
    ok(d, &["stop", "svc"]);
    assert_eq!(state(d, "svc")["ExitCode"], 143);

    // A killed monitor is noticed; what is left is the user's to remove.
    ok(d, &["start", "svc"]);
    let monitor = state(d, "svc")["MonitorPid"].as_u64().unwrap();
    assert!(
        Command::new("kill")
            .args(["-9", &monitor.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(monitor) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(state(d, "svc")["Status"], "exited");
    ok(d, &["rm", "svc"]);
    ok(d, &["run", "-d", "--rm", "--name", "brief", "bb:1", "true"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let left = || {
        std::fs::read_dir(d.join("store/containers"))
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
            .count()
    };
    while left() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(left(), 0, "rm and --rm removed the user's overlay dirs");
}
