//! `strata exec`: a command joins a running container's namespaces,
//! cgroups and confinement. Rewrites podman's 075-exec ("basic test", "cat
//! from stdin", "leak check") and runc's exec.bats ("runc exec", "[exit
//! codes]", "--env", "--user", "--cwd"). Needs root.

mod support;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::cli::{stderr, stdout};
use support::containers::{Lab, process_alive};

const KEEP_ALIVE: &str =
    "echo content > /marker; echo READY; while [ -f /marker ]; do sleep 0.1; done";

#[test]
fn exec_sees_the_containers_files_and_the_container_ends_normally() {
    require_root!();
    let lab = Lab::new("exec_basic");
    lab.ok(&["run", "-d", "--name", "c", "bb:1", "sh", "-c", KEEP_ALIVE]);
    lab.wait_for_log("c", "READY");
    assert_eq!(lab.ok(&["exec", "c", "cat", "/marker"]), "content");
    let out = lab.run(&["exec", "c", "/etc"]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    let out = lab.run(&["exec", "c", "/no/such/command"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(
        stderr(&out).contains("/no/such/command: command not found"),
        "{}",
        stderr(&out)
    );
    lab.fails(2, &["exec", "c"]);
    lab.ok(&["exec", "c", "rm", "/marker"]);
    assert_eq!(lab.ok(&["wait", "c"]), "0");
}

#[test]
fn exec_joins_the_containers_namespaces_and_confinement() {
    require_root!();
    let lab = Lab::new("exec_namespaces");
    let id = lab.ok(&[
        "run",
        "-d",
        "--name",
        "c",
        "--hostname",
        "box",
        "bb:1",
        "sleep",
        "100",
    ]);
    let inside = lab.ok(&[
        "exec",
        "c",
        "sh",
        "-c",
        "hostname; echo $$; ls /proc | grep -c '^[0-9]'",
    ]);
    let lines: Vec<&str> = inside.lines().collect();
    assert_eq!(lines[0], "box", "the container's uts namespace");
    let pid: u32 = lines[1].parse().unwrap();
    assert!(pid < 50, "a pid of the container's pid namespace: {pid}");
    let procs: u32 = lines[2].parse().unwrap();
    assert!(
        procs < 10,
        "the container's /proc shows its own processes: {procs}"
    );
    let caps = |out: String| {
        out.lines()
            .find_map(|l| l.strip_prefix("CapEff:").map(|v| v.trim().to_owned()))
            .unwrap()
    };
    let exec_caps = caps(lab.ok(&["exec", "c", "cat", "/proc/self/status"]));
    let run_caps = caps(lab.ok(&["run", "--rm", "bb:1", "cat", "/proc/self/status"]));
    assert_eq!(
        exec_caps, run_caps,
        "the same capabilities as the container's process"
    );
    // no_new_privs is the container's: off by default, as in docker (issue
    // 12), on when the container was made with no-new-privileges.
    let nnp = lab.ok(&["exec", "c", "grep", "NoNewPrivs", "/proc/self/status"]);
    assert!(nnp.trim_end().ends_with('0'), "{nnp}");
    let strict = lab.ok(&[
        "run",
        "-d",
        "--name",
        "strict",
        "--security-opt",
        "no-new-privileges",
        "bb:1",
        "sleep",
        "100",
    ]);
    let nnp = lab.ok(&["exec", "strict", "grep", "NoNewPrivs", "/proc/self/status"]);
    assert!(nnp.trim_end().ends_with('1'), "{nnp}");
    lab.ok(&["rm", "-f", strict.trim()]);
    lab.ok(&["rm", "-f", &id]);
}

#[test]
fn exec_takes_env_workdir_and_user_and_returns_the_exit_code() {
    require_root!();
    let lab = Lab::new("exec_flags");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "c",
        "-e",
        "FROM_RUN=1",
        "bb:1",
        "sleep",
        "100",
    ]);
    let out = lab.ok(&[
        "exec",
        "-e",
        "FOO=bar",
        "-w",
        "/tmp",
        "-u",
        "app",
        "c",
        "sh",
        "-c",
        "echo $FOO $FROM_RUN $(pwd) $(id -u) $(id -g)",
    ]);
    assert_eq!(out, "bar 1 /tmp 1000 1000");
    let out = lab.run(&["exec", "c", "sh", "-c", "echo err >&2; exit 42"]);
    assert_eq!(out.status.code(), Some(42));
    assert_eq!(stderr(&out), "err\n");
    lab.ok(&["rm", "-f", "c"]);
}

#[test]
fn exec_i_reads_stdin() {
    require_root!();
    let lab = Lab::new("exec_stdin");
    lab.ok(&["run", "-d", "--name", "c", "bb:1", "sleep", "100"]);
    let data: Vec<u8> = (0..1_536_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut child = lab
        .strata(&[
            "exec",
            "-i",
            "c",
            "sh",
            "-c",
            "cat > /tmp/big; wc -c < /tmp/big",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        data.len().to_string(),
        "nothing lost through the pipe"
    );
    lab.ok(&["rm", "-f", "c"]);
}

#[test]
fn an_exec_ends_with_its_container_and_leaves_nothing() {
    require_root!();
    let lab = Lab::new("exec_ends");
    lab.ok(&["run", "-d", "--name", "c", "bb:1", "sleep", "100"]);
    for _ in 0..3 {
        lab.ok(&["exec", "c", "true"]);
    }
    let exec = lab
        .strata(&["exec", "c", "sleep", "100"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let exec_pid = exec.id();
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    lab.ok(&["stop", "c"]);
    let out = exec.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "the exec'd process died with its container"
    );
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(!process_alive(u64::from(exec_pid)));
    lab.ok(&["rm", "c"]);
    assert!(lab.container_dirs().is_empty());
}

#[test]
fn exec_needs_a_running_container() {
    require_root!();
    let lab = Lab::new("exec_bad");
    let err = lab.fails(1, &["exec", "nosuch", "true"]);
    assert!(
        err.contains("no container with name or id \"nosuch\""),
        "{err}"
    );
    lab.ok(&["create", "--name", "new", "bb:1", "true"]);
    assert!(
        lab.fails(1, &["exec", "new", "true"])
            .contains("is not running")
    );
    lab.ok(&["run", "-d", "--name", "done", "bb:1", "true"]);
    lab.ok(&["wait", "done"]);
    assert!(
        lab.fails(1, &["exec", "done", "true"])
            .contains("is not running")
    );
    lab.ok(&["run", "-d", "--name", "p", "bb:1", "sleep", "100"]);
    lab.ok(&["pause", "p"]);
    assert!(lab.fails(1, &["exec", "p", "true"]).contains("is paused"));
    lab.ok(&["rm", "-f", "p"]);
}
