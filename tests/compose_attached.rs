//! `strata compose up` without -d: the services' output relayed with
//! docker compose's `NAME | ` prefix until the containers exit; the
//! abort flags and the exit status they choose (mirroring docker/compose's
//! pkg/e2e cascade_test.go and compose_up_test.go on their fixtures, in
//! testdata/compose/docker-compose/testdata/); Ctrl-C and SIGTERM. Needs
//! root and Debian's netavark, aardvark-dns and iptables.

mod support;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::cli::stderr;
use support::compose_project::Project;
use support::netenv::out;

fn state(p: &Project, service: &str) -> String {
    let states = p.service_states();
    let found = states.iter().find(|(s, _)| s == service);
    found
        .unwrap_or_else(|| panic!("no container of {service}: {states:?}"))
        .1
        .clone()
}

#[test]
fn up_relays_every_service_until_all_have_exited() {
    require_network!();
    let p = Project::new(
        "attachall",
        r#"
services:
  talker:
    image: bb:1
    command: ["sh", "-c", "echo log to stdout; echo log to stderr >&2; sleep 1; echo later"]
  quiet-one:
    image: bb:1
    command: ["sh", "-c", "exit 3"]
"#,
    );
    let o = p.compose(&["up"]);
    // docker compose exits 0 when nothing aborted, whatever the codes.
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = out(&o);
    assert!(
        stdout.contains("Attaching to quiet-one-1, talker-1"),
        "{stdout}"
    );
    // Prefixes are padded to the longest name; a line written a second
    // after the start is still relayed.
    assert!(stdout.contains("talker-1    | log to stdout\n"), "{stdout}");
    assert!(stdout.contains("talker-1    | later\n"), "{stdout}");
    // TestStdoutStderr: each stream goes to its own.
    assert!(!stdout.contains("log to stderr"), "{stdout}");
    assert!(stderr(&o).contains("talker-1    | log to stderr"));
    assert!(
        stdout.contains("quiet-one-1 exited with code 3"),
        "{stdout}"
    );
    assert!(stdout.contains("talker-1 exited with code 0"), "{stdout}");
    assert_eq!(state(&p, "talker"), "exited");
}

/// cascade_test.go TestCascadeStop.
#[test]
fn abort_on_container_exit_stops_the_project_and_exits_with_the_first_exit() {
    require_network!();
    let p = Project::from_fixture("cascadestop", "testdata/TestCascadeStop/compose.yaml");
    let started = Instant::now();
    let o = p.compose(&["up", "--abort-on-container-exit"]);
    let stdout = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", stderr(&o));
    assert!(stdout.contains("exit-1 exited with code 0"), "{stdout}");
    assert!(stdout.contains("Aborting on container exit..."), "{stdout}");
    // `running` sleeps forever: only the abort stopped it (its init took
    // the SIGTERM, well before the 10 s grace period).
    assert_eq!(state(&p, "running"), "exited");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// cascade_test.go TestCascadeFail.
#[test]
fn abort_on_container_failure_passes_clean_exits_and_takes_the_failures_code() {
    require_network!();
    let p = Project::from_fixture("cascadefail", "testdata/TestCascadeFail/compose.yaml");
    let o = p.compose(&["up", "--abort-on-container-failure"]);
    let stdout = out(&o);
    assert_eq!(o.status.code(), Some(111), "{stdout}\n{}", stderr(&o));
    assert!(stdout.contains("exit-1 exited with code 0"), "{stdout}");
    assert!(stdout.contains("fail-1 exited with code 111"), "{stdout}");
    assert_eq!(state(&p, "running"), "exited");
}

/// compose_up_test.go TestUpExitCodeFrom: only `failure` is started.
#[test]
fn exit_code_from_returns_the_services_code() {
    require_network!();
    let p = Project::from_fixture("exitfrom", "testdata/TestUpExitCodeFrom/compose.yaml");
    let o = p.compose(&["up", "--exit-code-from=failure", "failure"]);
    let stdout = out(&o);
    assert_eq!(o.status.code(), Some(42), "{stdout}\n{}", stderr(&o));
    assert!(
        stdout.contains("failure-1 | exiting with error"),
        "{stdout}"
    );
    let services: Vec<String> = p.service_states().into_iter().map(|(s, _)| s).collect();
    assert_eq!(services, ["failure"]);
}

/// compose_up_test.go TestUpExitCodeFromContainerKilled: `failure` exits
/// first, the abort stops `test`, whose code is then SIGTERM's 143.
#[test]
fn exit_code_from_a_service_the_abort_stopped_is_143() {
    require_network!();
    let p = Project::from_fixture(
        "exitkilled",
        "testdata/TestUpExitCodeFromContainerKilled/compose.yaml",
    );
    let o = p.compose(&["up", "--exit-code-from=test"]);
    let stdout = out(&o);
    assert_eq!(o.status.code(), Some(143), "{stdout}\n{}", stderr(&o));
    assert!(stdout.contains("failure-1 exited with code 42"), "{stdout}");
    for (service, st) in p.service_states() {
        assert_eq!(st, "exited", "{service}");
    }
}

/// `compose ARGS` in the background of the test, once its output has
/// said `until`.
fn start_until(p: &Project, args: &[&str], until: &str) -> std::process::Child {
    let mut child = p
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(until) {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "up ended early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    child.stdout = Some(stdout);
    child
}

/// `up` in the background of the test, once its service said `ready`.
fn start_attached(p: &Project) -> std::process::Child {
    start_until(p, &["up"], "| ready")
}

fn signal(child: &std::process::Child, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, sig).unwrap();
}

#[test]
fn sigterm_stops_the_project_gracefully() {
    require_network!();
    let p = Project::new(
        "attachterm",
        r#"
services:
  app:
    image: bb:1
    init: true
    command: ["sh", "-c", "echo ready; exec sleep 1000"]
"#,
    );
    let child = start_attached(&p);
    let started = Instant::now();
    signal(&child, rustix::process::Signal::TERM);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Gracefully stopping..."),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(state(&p, "app"), "exited");
}

#[test]
fn a_second_ctrl_c_kills_what_ignores_its_stop_signal() {
    require_network!();
    // It ignores its stop signal, and its grace period is long.
    let p = Project::new(
        "attachkill",
        r#"
services:
  stubborn:
    image: bb:1
    stop_grace_period: 100s
    command: ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"]
"#,
    );
    let child = start_attached(&p);
    let started = Instant::now();
    signal(&child, rustix::process::Signal::INT);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(state(&p, "stubborn"), "running");
    signal(&child, rustix::process::Signal::INT);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("Killing..."), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(state(&p, "stubborn"), "exited");
}

#[test]
fn up_shows_what_kept_containers_print_now_not_their_old_output() {
    require_network!();
    let p = Project::new(
        "attachkept",
        r#"
services:
  once:
    image: bb:1
    command: ["sh", "-c", "echo run at $$(cat /proc/sys/kernel/random/uuid)"]
"#,
    );
    p.compose_ok(&["up", "-d"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while state(&p, "once") != "exited" {
        assert!(Instant::now() < deadline, "{:?}", p.service_states());
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = p.compose_ok(&["logs"]);
    assert_eq!(before.matches("once-1 | run at").count(), 1, "{before}");
    // The container is current, so it is kept and started again.
    let o = p.compose(&["up"]);
    let stdout = out(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout.matches("once-1 | run at").count(), 1, "{stdout}");
    assert!(!stdout.contains(before.trim()), "{stdout}");
    assert_eq!(p.compose_ok(&["logs"]).matches("run at").count(), 2);
}

/// cascade_test.go TestCascadeIgnoresOneOffContainer: a one-off that
/// exits is not one of the attached containers.
#[test]
fn a_one_off_exiting_does_not_abort_an_attached_up() {
    require_network!();
    let p = Project::from_fixture("cascadeoneoff", "fixtures/cascade/compose.yaml");
    let child = start_until(
        &p,
        &["up", "--abort-on-container-exit", "running"],
        "Attaching to running-1",
    );
    p.compose_ok(&["run", "--rm", "--no-deps", "running", "/bin/true"]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(state(&p, "running"), "running");
    signal(&child, rustix::process::Signal::TERM);
    let o = child.wait_with_output().unwrap();
    assert!(
        !out(&o).contains("Aborting on container exit"),
        "{}",
        out(&o)
    );
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
}
