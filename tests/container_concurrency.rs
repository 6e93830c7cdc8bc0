//! Commands on one container at once are serialized by its lock: podman
//! 130-kill "podman kill - concurrent stop", 050-stop "stop - unlock while
//! waiting for timeout" (kill gets through while stop waits) and 055-rm
//! "rm <-> run --rm race". Needs root.

mod support;

use std::time::{Duration, Instant};

use support::cli::stderr;
use support::containers::{Lab, process_alive};

/// Started with its output captured, for wait_with_output.
fn spawn(lab: &Lab, args: &[&str]) -> std::process::Child {
    lab.strata(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

const STUBBORN: &str = "trap '' TERM; echo READY; while :; do sleep 0.1; done";

#[test]
fn two_stops_at_once_stop_it_once() {
    require_root!();
    let lab = Lab::new("two_stops");
    lab.ok(&["run", "-d", "--name", "s", "bb:1", "sh", "-c", STUBBORN]);
    lab.wait_for_log("s", "READY");
    let a = spawn(&lab, &["stop", "-t", "1", "s"]);
    let b = spawn(&lab, &["stop", "-t", "1", "s"]);
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let ok = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 1, "one stop did it: {outs:?}");
    let loser = outs.iter().find(|o| !o.status.success()).unwrap();
    assert!(
        stderr(loser).contains("is not running"),
        "{}",
        stderr(loser)
    );
    assert_eq!(lab.exit_code("s"), 137);
}

#[test]
fn kill_gets_through_while_a_stop_waits_for_its_timeout() {
    require_root!();
    let lab = Lab::new("kill_during_stop");
    lab.ok(&["run", "-d", "--name", "s", "bb:1", "sh", "-c", STUBBORN]);
    lab.wait_for_log("s", "READY");
    let t0 = Instant::now();
    let stop = spawn(&lab, &["stop", "-t", "20", "s"]);
    std::thread::sleep(Duration::from_millis(300));
    lab.ok(&["kill", "s"]);
    let out = stop.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "stop waited out its timeout"
    );
    assert_eq!(lab.exit_code("s"), 137);
}

#[test]
fn rm_f_racing_start_leaves_no_container_and_no_process() {
    require_root!();
    let lab = Lab::new("rm_during_start");
    for round in 0..3 {
        let name = format!("r{round}");
        lab.ok(&["create", "--name", &name, "bb:1", "sleep", "100"]);
        let start = spawn(&lab, &["start", &name]);
        let rm = lab.strata(&["rm", "-f", &name]).output().unwrap();
        let started = start.wait_with_output().unwrap();
        assert!(rm.status.success(), "{}", stderr(&rm));
        // start lost the race (the container was gone) or won it (rm -f
        // then killed it); never a leftover.
        if !started.status.success() {
            assert!(
                stderr(&started).contains("no container"),
                "{}",
                stderr(&started)
            );
        }
    }
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
    let leftovers: Vec<u64> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid: &u64| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.windows(b"rm_during_start".len())
                    .any(|w| w == b"rm_during_start")
            }) && process_alive(*pid)
        })
        .collect();
    assert!(leftovers.is_empty(), "monitors left: {leftovers:?}");
    lab.fsck_clean();
}

/// A stop that loses the race to an rm -f says the container is gone, in
/// the words of any unknown container, never with a file error.
#[test]
fn stop_racing_rm_f_fails_cleanly_or_stops_it() {
    require_root!();
    let lab = Lab::new("stop_during_rm");
    for round in 0..4 {
        let name = format!("s{round}");
        lab.ok(&["run", "-d", "--name", &name, "bb:1", "sleep", "100"]);
        let rm = spawn(&lab, &["rm", "-f", &name]);
        let stop = spawn(&lab, &["stop", "-t", "1", &name]);
        let (rm, stop) = (
            rm.wait_with_output().unwrap(),
            stop.wait_with_output().unwrap(),
        );
        assert!(rm.status.success(), "{}", stderr(&rm));
        if !stop.status.success() {
            let err = stderr(&stop);
            assert!(
                err.contains("no container with name or id") || err.contains("is not running"),
                "{err}"
            );
        }
    }
    assert!(lab.container_dirs().is_empty());
}
