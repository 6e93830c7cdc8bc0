//! pause/unpause through the cgroup freezer. Rewrites podman's 080-pause
//! "podman pause/unpause" and runc's pause.bats ("runc pause and resume",
//! "with nonexist container"). Needs root.

mod support;

use std::time::{Duration, Instant};

use support::containers::{Lab, process_alive};

const TICKER: &str = "while :; do echo tick; sleep 0.1; done";

fn lines(lab: &Lab, name: &str) -> usize {
    lab.ok(&["logs", name]).lines().count()
}

#[test]
fn a_paused_container_makes_no_progress_until_unpaused() {
    require_root!();
    let lab = Lab::new("pause_basic");
    let id = lab.ok(&["run", "-d", "--name", "p", "bb:1", "sh", "-c", TICKER]);
    lab.wait_for_log("p", "tick");
    assert_eq!(lab.ok(&["pause", &id]), id);
    assert_eq!(lab.status("p"), "paused");
    let table = lab.ok(&["ps"]);
    assert!(
        table
            .lines()
            .any(|l| l.ends_with(" p") && l.contains("(Paused)")),
        "{table}"
    );
    let frozen = lines(&lab, "p");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(lines(&lab, "p"), frozen, "it ran while paused");
    assert_eq!(lab.ok(&["unpause", "p"]), "p");
    assert_eq!(lab.status("p"), "running");
    let deadline = Instant::now() + Duration::from_secs(5);
    while lines(&lab, "p") <= frozen {
        assert!(Instant::now() < deadline, "no progress after unpause");
        std::thread::sleep(Duration::from_millis(50));
    }
    lab.ok(&["rm", "-f", "p"]);
}

#[test]
fn a_paused_container_can_be_stopped_and_removed() {
    require_root!();
    let lab = Lab::new("pause_stop");
    lab.ok(&["run", "-d", "--name", "s", "bb:1", "sh", "-c", TICKER]);
    lab.ok(&["pause", "s"]);
    lab.ok(&["stop", "s"]);
    assert_eq!(lab.status("s"), "exited");
    assert_eq!(lab.exit_code("s"), 143);
    let id = lab.ok(&["run", "-d", "--name", "r", "bb:1", "sh", "-c", TICKER]);
    let pid = lab.inspect("r")["State"]["Pid"].as_u64().unwrap();
    lab.ok(&["pause", "r"]);
    lab.ok(&["rm", "-f", "r"]);
    assert!(!process_alive(pid));
    assert!(
        !std::path::Path::new("/sys/fs/cgroup/freezer/strata")
            .join(&id)
            .exists()
            && !std::path::Path::new("/sys/fs/cgroup/strata-containers")
                .join(&id)
                .exists(),
        "the freezer cgroup is removed with the container"
    );
}

#[test]
fn a_monitor_killed_while_paused_leaves_nothing_frozen() {
    require_root!();
    let lab = Lab::new("pause_killed_monitor");
    lab.ok(&["run", "-d", "--name", "f", "bb:1", "sh", "-c", TICKER]);
    lab.ok(&["pause", "f"]);
    let state = lab.inspect("f")["State"].clone();
    let (monitor, init) = (
        state["MonitorPid"].as_u64().unwrap(),
        state["Pid"].as_u64().unwrap(),
    );
    assert!(
        std::process::Command::new("kill")
            .args(["-9", &monitor.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(monitor) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(lab.status("f"), "exited");
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(init) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!process_alive(init), "the frozen sandbox was left behind");
    lab.ok(&["rm", "f"]);
}

#[test]
fn pause_and_unpause_refuse_containers_in_the_wrong_state() {
    require_root!();
    let lab = Lab::new("pause_bad");
    let err = lab.fails(1, &["pause", "nosuch"]);
    assert!(
        err.contains("no container with name or id \"nosuch\""),
        "{err}"
    );
    lab.fails(1, &["unpause", "nosuch"]);
    lab.ok(&["create", "--name", "new", "bb:1", "true"]);
    assert!(lab.fails(1, &["pause", "new"]).contains("is not running"));
    lab.ok(&["run", "-d", "--name", "up", "bb:1", "sleep", "100"]);
    assert!(lab.fails(1, &["unpause", "up"]).contains("is not paused"));
    lab.ok(&["pause", "up"]);
    assert!(lab.fails(1, &["pause", "up"]).contains("is paused"));
    assert!(lab.fails(1, &["start", "up"]).contains("already running"));
    lab.ok(&["unpause", "up"]);
    lab.ok(&["rm", "-f", "up"]);
}
