//! The stop signal and timeout a container is created with, and signal
//! names checked before any container is looked at. Rewrites podman's
//! 130-kill "podman kill - rejects invalid args" (with its `create
//! --stop-signal=99` case) and the --stop-timeout use of 030-run "podman
//! run - stopping loop" and 055-rm. Needs root.

mod support;

use std::time::{Duration, Instant};

use support::cli::stderr;
use support::containers::Lab;

#[test]
fn stop_sends_the_containers_own_stop_signal() {
    require_root!();
    let lab = Lab::new("stop_signal");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "u",
        "--stop-signal",
        "USR1",
        "bb:1",
        "sh",
        "-c",
        "trap 'echo got USR1; exit 5' USR1; echo READY; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("u", "READY");
    assert_eq!(lab.inspect("u")["Config"]["StopSignal"], "USR1");
    lab.ok(&["stop", "u"]);
    assert_eq!(lab.exit_code("u"), 5);
    assert!(lab.ok(&["logs", "u"]).ends_with("got USR1"));
}

#[test]
fn stop_waits_the_containers_own_timeout() {
    require_root!();
    let lab = Lab::new("stop_timeout");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "t",
        "--stop-timeout",
        "1",
        "bb:1",
        "sh",
        "-c",
        "trap '' TERM; echo READY; while :; do sleep 0.1; done",
    ]);
    lab.wait_for_log("t", "READY");
    assert_eq!(lab.inspect("t")["Config"]["StopTimeout"], 1);
    let t0 = Instant::now();
    let out = lab.run(&["stop", "t"]);
    assert!(out.status.success());
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "not the default 10 s: {:?}",
        t0.elapsed()
    );
    assert!(
        stderr(&out).contains("in 1 seconds, resorting to SIGKILL"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lab.exit_code("t"), 137);
}

#[test]
fn bad_signals_are_refused_before_any_container_is_looked_at() {
    require_root!();
    let lab = Lab::new("bad_signals");
    for bad in [
        "0",
        "SIGBADSIG",
        "SIG",
        "BADSIG",
        "%%",
        "-BADSIG",
        "65",
        "99999999",
    ] {
        let err = lab.fails(1, &["kill", "-s", bad, "nosuchcontainer"]);
        assert!(err.contains("unknown signal"), "kill -s {bad}: {err}");
        assert!(
            !err.contains("nosuchcontainer"),
            "the container was looked up: {err}"
        );
        let err = lab.fails(1, &["stop", "-s", bad, "nosuchcontainer"]);
        assert!(err.contains("unknown signal"), "stop -s {bad}: {err}");
    }
    let err = lab.fails(1, &["create", "--stop-signal=99", "bb:1"]);
    assert!(err.contains("unknown signal \"99\""), "{err}");
    assert!(lab.container_dirs().is_empty(), "nothing created");
}
