//! `strata logs`: the container's output kept in its log, stdout and
//! stderr apart, after the container exits. Rewrites podman's 035-logs
//! cases for strata (k8s-file: strata's only log format). Needs root.

mod support;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::cli::{stderr, stdout};
use support::containers::Lab;

/// podman 035-logs "podman logs - basic test": the output survives the
/// container's exit; stdout and stderr come back on their own streams.
#[test]
fn logs_keep_stdout_and_stderr_apart_after_the_exit() {
    require_root!();
    let lab = Lab::new("logs_basic");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "both",
        "bb:1",
        "sh",
        "-c",
        "echo out1; echo err1 >&2; echo out2; printf 'no newline'",
    ]);
    assert_eq!(lab.ok(&["wait", "both"]), "0");
    let out = lab.run(&["logs", "both"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "out1\nout2\nno newline");
    assert_eq!(stderr(&out), "err1\n");
    let raw = std::fs::read_to_string(lab.inspect("both")["LogPath"].as_str().unwrap()).unwrap();
    assert_eq!(raw.lines().count(), 4, "one entry per line: {raw}");
    assert!(raw.lines().any(|l| l.contains(" stderr F err1")), "{raw}");
    assert!(
        raw.lines().any(|l| l.ends_with(" stdout P no newline")),
        "{raw}"
    );
}

/// podman 035-logs "podman logs - tail test, k8s-file": --tail keeps the
/// last lines, --timestamps prefixes each with its RFC 3339 time, and a
/// restart's lines carry new times.
#[test]
fn tail_and_timestamps() {
    require_root!();
    let lab = Lab::new("logs_tail");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "t",
        "bb:1",
        "sh",
        "-c",
        "echo test1; echo test2",
    ]);
    lab.ok(&["wait", "t"]);
    let first = lab.ok(&["logs", "--tail", "1", "--timestamps", "t"]);
    let (time, line) = first.split_once(' ').unwrap();
    assert_eq!(line, "test2");
    assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    lab.ok(&["restart", "t"]);
    lab.ok(&["wait", "t"]);
    let second = lab.ok(&["logs", "-t", "--tail", "1", "t"]);
    assert!(second.ends_with(" test2"), "{second}");
    assert_ne!(first, second, "the restart's line has its own time");
    assert_eq!(lab.ok(&["logs", "--tail", "3", "t"]), "test2\ntest1\ntest2");
    assert_eq!(lab.ok(&["logs", "--tail", "0", "t"]), "");
}

/// podman 035-logs "podman logs - --follow k8s-file": -f prints what comes
/// while the container runs and returns when it exits.
#[test]
fn follow_returns_when_the_container_exits() {
    require_root!();
    let lab = Lab::new("logs_follow");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "f",
        "bb:1",
        "sh",
        "-c",
        "echo first; sleep 1; echo second; sleep 0.5",
    ]);
    let t0 = Instant::now();
    let mut child = lab
        .strata(&["logs", "-f", "f"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out, "first\nsecond\n");
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "returned before the exit"
    );
    assert_eq!(lab.status("f"), "exited");
}

/// podman 035-logs "podman logs - since k8s-file": --since takes a time
/// (with a UTC offset, as `date --iso-8601=seconds` prints it) or a
/// duration ago, and keeps only what was written from then on.
#[test]
fn since_keeps_what_came_after() {
    require_root!();
    let lab = Lab::new("logs_since");
    let iso = || {
        let out = std::process::Command::new("date")
            .arg("--iso-8601=seconds")
            .output()
            .unwrap();
        stdout(&out).trim().to_owned()
    };
    let before = iso();
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "s",
        "bb:1",
        "sh",
        "-c",
        "echo before; trap 'echo after; exit' TERM; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("s", "before");
    std::thread::sleep(Duration::from_millis(1100));
    let after = iso();
    std::thread::sleep(Duration::from_millis(100));
    lab.ok(&["stop", "s"]);
    assert_eq!(lab.ok(&["logs", "s"]), "before\nafter");
    assert_eq!(lab.ok(&["logs", "--since", &before, "s"]), "before\nafter");
    assert_eq!(lab.ok(&["logs", "--since", &after, "s"]), "after");
    assert_eq!(lab.ok(&["logs", "--since", "1h", "s"]), "before\nafter");
    lab.fails(2, &["logs", "--since", "yesterday-ish", "s"]);
}

/// podman 035-logs "_log_test_until" and "podman logs - basic test"
/// (`--until 1000`): only what was written before the time.
#[test]
fn until_keeps_what_came_before() {
    require_root!();
    let lab = Lab::new("logs_until");
    let iso = || {
        let out = std::process::Command::new("date")
            .arg("--iso-8601=ns")
            .output()
            .unwrap();
        stdout(&out).trim().to_owned()
    };
    let before = iso();
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "u",
        "bb:1",
        "sh",
        "-c",
        "echo first; trap 'echo second; exit' TERM; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("u", "first");
    std::thread::sleep(Duration::from_millis(200));
    let between = iso();
    std::thread::sleep(Duration::from_millis(200));
    lab.ok(&["stop", "u"]);
    assert_eq!(lab.ok(&["logs", "--until", "1000", "u"]), "");
    assert_eq!(lab.ok(&["logs", "--until", &before, "u"]), "");
    assert_eq!(lab.ok(&["logs", "--until", &between, "u"]), "first");
    assert_eq!(lab.ok(&["logs", "--until", "0s", "u"]), "first\nsecond");
    assert_eq!(
        lab.ok(&["logs", "--since", &between, "--until", "0s", "u"]),
        "second"
    );
    lab.fails(2, &["logs", "--until", "someday", "u"]);
}
