//! Containers with a lifecycle and no daemon: create, start, stop, kill,
//! wait, restart, rm, inspect, through the `strata` binary. Each test names
//! the podman or runc system test case it rewrites. Needs root.

mod support;

use std::time::{Duration, Instant};

use support::cli::{stderr, stdout};
use support::containers::{Lab, process_alive};

/// runc create.bats "runc create" + start.bats "runc start", podman
/// 045-start: a created container is not running until started, and its
/// exit is recorded.
#[test]
fn a_created_container_runs_only_once_started() {
    require_root!();
    let lab = Lab::new("created_then_started");
    let id = lab.ok(&[
        "create",
        "--name",
        "c1",
        "bb:1",
        "sh",
        "-c",
        "echo hi; exit 7",
    ]);
    assert_eq!(id.len(), 64, "create prints the full id: {id}");
    assert_eq!(lab.status("c1"), "created");
    assert_eq!(lab.ok(&["logs", "c1"]), "", "nothing ran yet");
    assert_eq!(lab.ok(&["start", "c1"]), "c1");
    assert_eq!(lab.ok(&["wait", "c1"]), "7");
    let state = &lab.inspect("c1")["State"];
    assert_eq!(state["Status"], "exited");
    assert_eq!(state["ExitCode"], 7);
    assert!(state["StartedAt"].is_string() && state["FinishedAt"].is_string());
    assert_eq!(lab.ok(&["logs", "c1"]), "hi");
}

/// podman 030-run "podman run -d": the command returns at once with the
/// id, the container runs on in the background.
#[test]
fn run_detached_returns_the_id_and_keeps_running() {
    require_root!();
    let lab = Lab::new("run_detached");
    let t0 = Instant::now();
    let id = lab.ok(&["run", "-d", "--name", "bg", "bb:1", "sleep", "100"]);
    assert!(t0.elapsed() < Duration::from_secs(5), "run -d waited");
    assert!(
        id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(lab.status("bg"), "running");
    assert_eq!(lab.ok(&["ps", "-q"]), &id[..12]);
    let pid = lab.inspect("bg")["State"]["Pid"].as_u64().unwrap();
    assert!(process_alive(pid));
    lab.ok(&["rm", "-f", "bg"]);
    assert!(!process_alive(pid), "rm -f left the sandbox running");
}

/// podman 050-stop "podman stop - can trap signal": a process that traps
/// the stop signal runs its handler and exits with its own code, at once.
#[test]
fn stop_lets_a_trapping_process_finish_with_its_own_code() {
    require_root!();
    let lab = Lab::new("stop_trap");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "trap",
        "bb:1",
        "sh",
        "-c",
        "trap 'echo Received SIGTERM, finishing; exit' TERM; echo READY; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("trap", "READY");
    let t0 = Instant::now();
    assert_eq!(lab.ok(&["stop", "trap"]), "trap");
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "stop took {:?}",
        t0.elapsed()
    );
    let logs = lab.ok(&["logs", "trap"]);
    assert_eq!(logs, "READY\nReceived SIGTERM, finishing");
    assert_eq!(lab.exit_code("trap"), 0);
    assert_eq!(lab.inspect("trap")["State"]["StoppedByUser"], true);
}

/// A process that TERM ends (no handler) reads as 128 + 15.
#[test]
fn stop_of_a_process_without_a_handler_exits_143() {
    require_root!();
    let lab = Lab::new("stop_143");
    lab.ok(&["run", "-d", "--name", "s", "bb:1", "sleep", "100"]);
    lab.ok(&["stop", "s"]);
    assert_eq!(lab.exit_code("s"), 143);
}

/// podman 050-stop "podman stop - basic test" and "stop -t 1 Generate
/// warning": TERM ignored, SIGKILL after the timeout, exit 137, a warning.
#[test]
fn stop_kills_a_process_that_ignores_term_after_the_timeout() {
    require_root!();
    let lab = Lab::new("stop_137");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "stubborn",
        "bb:1",
        "sh",
        "-c",
        "trap '' TERM; echo READY; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("stubborn", "READY");
    let t0 = Instant::now();
    let out = lab.run(&["stop", "-t", "1", "stubborn"]);
    let took = t0.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "StopSignal TERM failed to stop container stubborn in 1 seconds, resorting to SIGKILL"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(lab.status("stubborn"), "exited");
    assert_eq!(lab.exit_code("stubborn"), 137);
}

/// podman 130-kill "podman kill - test signal handling in containers":
/// each signal, by number or name (with or without SIG or a dash), reaches
/// the process; the default is KILL.
#[test]
fn kill_delivers_signals_and_defaults_to_sigkill() {
    require_root!();
    let lab = Lab::new("kill_signals");
    let signals = [1, 2, 3, 10, 12, 14, 15, 20];
    let traps: String = signals
        .iter()
        .map(|s| format!("trap 'echo got: {s}' {s}; "))
        .collect();
    let script = format!("{traps} echo READY; while :; do sleep 0.1; done");
    lab.ok(&["run", "-d", "--name", "k", "bb:1", "sh", "-c", &script]);
    lab.wait_for_log("k", "READY");
    let sent = [
        ("1", 1),
        ("-INT", 2),
        ("QUIT", 3),
        ("-SIGUSR1", 10),
        ("SIGUSR2", 12),
        ("14", 14),
        ("TERM", 15),
        ("TSTP", 20),
    ];
    for (sig, num) in sent {
        assert_eq!(lab.ok(&["kill", "-s", sig, "k"]), "k");
        lab.wait_for_log("k", &format!("got: {num}"));
    }
    assert_eq!(lab.status("k"), "running", "every signal was handled");
    lab.ok(&["kill", "k"]);
    assert_eq!(lab.ok(&["wait", "k"]), "137");
}

/// podman 130-kill "podman wait - exit codes": wait prints the process's
/// own code; a container that never ran has nothing to wait for.
#[test]
fn wait_prints_each_containers_exit_code() {
    require_root!();
    let lab = Lab::new("wait_codes");
    lab.ok(&["run", "-d", "--name", "t", "bb:1", "true"]);
    lab.ok(&["run", "-d", "--name", "f", "bb:1", "false"]);
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "x",
        "bb:1",
        "sh",
        "-c",
        "sleep 0.3; exit 42",
    ]);
    lab.ok(&["create", "--name", "never", "bb:1", "true"]);
    assert_eq!(lab.ok(&["wait", "t", "f", "x", "never"]), "0\n1\n42\n0");
    assert_eq!(lab.inspect("x")["State"]["StoppedByUser"], false);
}

/// podman 055-rm "podman rm - running container, w/o and w/ force" and
/// "rm --force doesn't leave running processes".
#[test]
fn rm_refuses_a_running_container_and_rm_f_kills_it() {
    require_root!();
    let lab = Lab::new("rm_force");
    let id = lab.ok(&["run", "-d", "--name", "busy", "bb:1", "sleep", "100"]);
    let pid = lab.inspect("busy")["State"]["Pid"].as_u64().unwrap();
    let err = lab.fails(1, &["rm", "busy"]);
    assert!(err.contains(&format!("container {id} is running")), "{err}");
    assert_eq!(
        lab.status("busy"),
        "running",
        "a refused rm changes nothing"
    );
    assert_eq!(lab.ok(&["rm", "-f", "busy"]), "busy");
    assert!(!process_alive(pid));
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
    lab.fails(1, &["inspect", "busy"]);
    lab.fsck_clean();
}

/// podman 055-rm "podman rm after killed conmon": the next command sees
/// that the monitor died, shows the container exited with the reason,
/// kills what is left of it, and rm works.
#[test]
fn a_killed_monitor_is_noticed_by_the_next_command() {
    require_root!();
    let lab = Lab::new("killed_monitor");
    lab.ok(&["run", "-d", "--name", "orphan", "bb:1", "sleep", "1000"]);
    let state = lab.inspect("orphan")["State"].clone();
    let monitor = state["MonitorPid"].as_u64().unwrap();
    let init = state["Pid"].as_u64().unwrap();
    assert!(monitor > 0 && process_alive(monitor));
    let killed = std::process::Command::new("kill")
        .args(["-9", &monitor.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(monitor) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ps = lab.ps_all();
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0]["State"], "exited");
    assert!(
        ps[0]["Error"].as_str().unwrap().contains("monitor"),
        "{}",
        ps[0]
    );
    assert!(
        ps[0]["Status"]
            .as_str()
            .unwrap()
            .starts_with("Exited (unknown)")
    );
    assert!(!process_alive(init), "the sandbox outlived its monitor");
    assert_eq!(lab.ok(&["ps", "-q"]), "", "not listed as running");
    lab.ok(&["rm", "orphan"]);
    assert!(lab.container_dirs().is_empty());
    lab.fsck_clean();
}

/// podman 050-stop "podman stop, with --rm container" and 055-rm "rm <->
/// run --rm race": a --rm container leaves nothing behind, whether it
/// ends by itself or is stopped.
#[test]
fn rm_containers_leave_nothing_behind() {
    require_root!();
    let lab = Lab::new("auto_remove");
    lab.ok(&[
        "run", "-d", "--rm", "--name", "gone", "bb:1", "sleep", "100",
    ]);
    assert_eq!(lab.status("gone"), "running");
    lab.ok(&["stop", "gone"]);
    lab.fails(1, &["inspect", "gone"]);
    lab.ok(&["run", "-d", "--rm", "--name", "quick", "bb:1", "true"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lab.container_dirs().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
    let pins = lab.store().join("cache/containers");
    assert_eq!(std::fs::read_dir(&pins).map(|d| d.count()).unwrap_or(0), 0);
    lab.fsck_clean();
}

/// `run --rm --name` in the foreground: the output and the exit code are
/// the process's, and the container is gone afterwards.
#[test]
fn an_attached_rm_run_exits_with_the_code_and_leaves_nothing() {
    require_root!();
    let lab = Lab::new("attached_rm");
    let out = lab.run(&[
        "run",
        "--rm",
        "--name",
        "fg",
        "bb:1",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout(&out), "out\n");
    assert_eq!(stderr(&out), "err\n");
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
}

/// podman 035-logs "podman logs restarted" and 045-start "start -a": a
/// container's filesystem and log carry over to its next run.
#[test]
fn restart_runs_it_again_on_the_same_filesystem_and_log() {
    require_root!();
    let lab = Lab::new("restart");
    let script = "start=0; if test -s /log; then start=$(tail -n 1 /log); fi; \
                  seq $((start + 1)) $((start + 10)) | tee -a /log";
    let out = lab.run(&["run", "--name", "counter", "bb:1", "sh", "-c", script]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first: Vec<String> = (1..=10).map(|n| n.to_string()).collect();
    assert_eq!(stdout(&out), format!("{}\n", first.join("\n")));
    let out = lab.run(&["start", "-a", "counter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second: Vec<String> = (11..=20).map(|n| n.to_string()).collect();
    assert_eq!(
        stdout(&out),
        format!("{}\n", second.join("\n")),
        "start -a shows only the new run"
    );
    let all: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
    assert_eq!(lab.ok(&["logs", "counter"]), all.join("\n"));
    lab.ok(&["restart", "counter"]);
    assert_eq!(lab.ok(&["wait", "counter"]), "0");
    assert!(lab.ok(&["logs", "--tail", "1", "counter"]) == "30");
}

/// podman 045-start "podman start" of a stopped container, and restart of
/// a running one: a new run each time, with a new start time.
#[test]
fn restart_of_a_running_container_stops_and_starts_it() {
    require_root!();
    let lab = Lab::new("restart_running");
    lab.ok(&["run", "-d", "--name", "svc", "bb:1", "sleep", "100"]);
    let before = lab.inspect("svc")["State"].clone();
    lab.ok(&["restart", "-t", "1", "svc"]);
    let after = lab.inspect("svc")["State"].clone();
    assert_eq!(after["Status"], "running");
    assert_ne!(before["Pid"], after["Pid"]);
    assert_ne!(before["StartedAt"], after["StartedAt"]);
    lab.ok(&["stop", "svc"]);
    lab.ok(&["start", "svc"]);
    assert_eq!(lab.status("svc"), "running");
    lab.ok(&["rm", "-f", "svc"]);
}

/// docker inspect resolves a container or an image by the same argument.
#[test]
fn inspect_shows_containers_as_well_as_images() {
    require_root!();
    let lab = Lab::new("inspect_either");
    let id = lab.ok(&[
        "create", "--name", "app", "-l", "tier=web", "-e", "A=1", "bb:1", "echo", "x",
    ]);
    let c = lab.inspect("app");
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Name"], "app");
    assert_eq!(c["ImageName"], "bb:1");
    assert_eq!(c["Config"]["Labels"]["tier"], "web");
    assert!(
        c["Config"]["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "A=1")
    );
    assert_eq!(c["Config"]["Cmd"], serde_json::json!(["echo", "x"]));
    assert_eq!(lab.inspect(&id[..8])["Id"], id.as_str(), "an id prefix");
    let image = lab.inspect("bb:1");
    assert!(image["Digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(c["Image"], image["Digest"]);
}

/// podman 055-rm "podman rm after killed conmon", for a --rm container:
/// with its monitor gone nothing else would remove it, so the next
/// listing does, and leaves nothing behind.
#[test]
fn an_rm_container_whose_monitor_was_killed_is_removed_by_the_next_listing() {
    require_root!();
    let lab = Lab::new("killed_monitor_rm");
    lab.ok(&[
        "run", "-d", "--rm", "--name", "eph", "bb:1", "sleep", "1000",
    ]);
    let monitor = lab.inspect("eph")["State"]["MonitorPid"].as_u64().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", &monitor.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(monitor) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lab.ps_all().is_empty(), "listed: {:?}", lab.ps_all());
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
    lab.fsck_clean();
}
