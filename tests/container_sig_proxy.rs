//! `run --sig-proxy` and `attach --sig-proxy` (docker's; default true): a
//! signal sent to the strata client reaches the container's process; with
//! `--sig-proxy=false` it does not, and an attached client ends (128 +
//! the signal) leaving the container running. Needs root.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::containers::Lab;

/// Says READY, then exits 7 on TERM; else ends by itself after ~`tenths`
/// tenths of a second, printing "done".
fn trapping(tenths: u32) -> String {
    format!(
        "trap 'echo got TERM; exit 7' TERM; echo READY; i=0; \
         while [ $i -lt {tenths} ]; do sleep 0.1; i=$((i+1)); done; echo done"
    )
}

/// Waits until the client sleeps in sigtimedwait (where it takes the
/// signals it forwards, or not), so the test never races its setup.
fn wait_for_signal_handling(child: &Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(format!("/proc/{}/wchan", child.id()))
        .unwrap_or_default()
        .contains("sigtimedwait")
    {
        assert!(
            Instant::now() < deadline,
            "the client never waits for signals"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn term(child: &Child) {
    wait_for_signal_handling(child);
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "the client did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A recorded attached run, started in the background.
fn attached_run(lab: &Lab, name: &str, extra: &[&str]) -> Child {
    let script = trapping(600);
    let mut args = vec!["run", "--name", name];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["bb:1", "sh", "-c", &script]);
    let child = lab
        .strata(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    lab.wait_for_log(name, "READY");
    child
}

#[test]
fn an_attached_run_forwards_signals_unless_sig_proxy_is_false() {
    require_root!();
    let lab = Lab::new("sig_proxy_run");
    let mut proxied = attached_run(&lab, "proxied", &[]);
    term(&proxied);
    assert_eq!(exit_code(&mut proxied), Some(7), "the process got TERM");
    assert!(lab.ok(&["logs", "proxied"]).contains("got TERM"));

    let mut kept = attached_run(&lab, "kept", &["--sig-proxy=false"]);
    term(&kept);
    assert_eq!(
        exit_code(&mut kept),
        Some(143),
        "the client ends as TERM would"
    );
    assert_eq!(lab.status("kept"), "running");
    assert!(!lab.ok(&["logs", "kept"]).contains("got TERM"));
    lab.ok(&["rm", "-f", "proxied", "kept"]);
}

#[test]
fn attach_forwards_signals_unless_sig_proxy_is_false() {
    require_root!();
    let lab = Lab::new("sig_proxy_attach");
    let script = trapping(600);
    lab.ok(&["run", "-d", "--name", "c", "bb:1", "sh", "-c", &script]);
    lab.wait_for_log("c", "READY");
    let attach = |extra: &[&str]| {
        let mut args = vec!["attach"];
        args.extend_from_slice(extra);
        args.push("c");
        lab.strata(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kept = attach(&["--sig-proxy=false"]);
    term(&kept);
    assert_eq!(exit_code(&mut kept), Some(143));
    assert_eq!(lab.status("c"), "running");
    let mut proxied = attach(&[]);
    term(&proxied);
    assert_eq!(exit_code(&mut proxied), Some(7));
    assert!(lab.ok(&["logs", "c"]).contains("got TERM"));
    lab.ok(&["rm", "-f", "c"]);
}

/// An unrecorded run's sandbox lives only while strata does: without the
/// proxy the signal is ignored and the process runs to its end.
#[test]
fn an_unrecorded_run_ignores_signals_with_sig_proxy_false() {
    require_root!();
    let lab = Lab::new("sig_proxy_plain");
    for (extra, code, last) in [
        (None, 7, "got TERM"),
        (Some("--sig-proxy=false"), 0, "done"),
    ] {
        let script = trapping(15);
        let mut args = vec!["run"];
        args.extend(extra);
        args.extend_from_slice(&["bb:1", "sh", "-c", &script]);
        let mut child = lab
            .strata(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "READY");
        term(&child);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        assert_eq!(exit_code(&mut child), Some(code), "{extra:?}: {rest}");
        assert_eq!(rest.trim(), last, "{extra:?}");
    }
}
