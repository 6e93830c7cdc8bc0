//! Attaching and terminals: the monitor's attach socket carries a
//! container's output (stdout and stderr apart) and its stdin with -i;
//! `attach` (detach keys ctrl-p ctrl-q), `run -i`, `run -t`, `start -a -i`,
//! `exec -t` and `exec -d`. Rewrites podman's 030-run ("podman run closes
//! stdin", "podman run defaultenv" for -t's TERM), 045-start ("podman
//! start attach with created --rm container"), 035-logs ("start --attach
//! --interactive" then logs) and 075-exec ("podman exec --tty"); terminals
//! are driven with util-linux's `script`. Needs root.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::cli::{stderr, stdout};
use support::containers::Lab;

/// Runs `args` with `input` on stdin (then EOF); returns the output.
fn with_input(lab: &Lab, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = lab
        .strata(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// `strata ARGS` inside a terminal of `rows` x `cols` made by `script`,
/// stdin from /dev/null unless `input`; returns what the terminal showed.
fn in_terminal(lab: &Lab, rows: u16, cols: u16, args: &str, input: Option<&[u8]>) -> String {
    let line = format!(
        "stty rows {rows} cols {cols}; {} {args}; echo rc=$?",
        strata_cmd(lab)
    );
    shell_in_terminal(&line, input)
}

/// `strata --root STORE` as a shell word list.
fn strata_cmd(lab: &Lab) -> String {
    format!(
        "{} --root {}",
        env!("CARGO_BIN_EXE_strata"),
        lab.store().display()
    )
}

/// The shell `line` run in a terminal made by `script`; see [`in_terminal`].
fn shell_in_terminal(line: &str, input: Option<&[u8]>) -> String {
    let mut child = Command::new("script")
        .args(["-qec", line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        // After the attach is up: a terminal has no EOF to wait behind.
        std::thread::sleep(Duration::from_millis(1500));
        stdin.write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    String::from_utf8_lossy(&out.stdout).replace('\0', "")
}

/// Attaches with `args`, sends `word` as a line, waits for the container's
/// echo of it in the log, then types `keys`.
fn attach_then_detach(lab: &Lab, args: &[&str], word: &str, keys: &[u8]) -> std::process::Output {
    let mut child = lab
        .strata(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The first line may beat the connection; the monitor only forwards
    // what arrives once the client is attached, which is at once here.
    stdin.write_all(format!("{word}\n").as_bytes()).unwrap();
    lab.wait_for_log("c", &format!("got {word}"));
    stdin.write_all(keys).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn run_i_pipes_stdin_to_the_process_and_closes_it_at_eof() {
    require_root!();
    let lab = Lab::new("attach_run_i");
    // podman's "podman run closes stdin": `cat` ends because its input did.
    let out = with_input(
        &lab,
        &["run", "-i", "--rm", "--name", "c", "bb:1", "cat"],
        b"random-25-chars-of-input\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "random-25-chars-of-input\n");
    // The one-shot run (no monitor) takes stdin too.
    let out = with_input(&lab, &["run", "-i", "--rm", "bb:1", "cat"], b"direct\n");
    assert_eq!(stdout(&out), "direct\n");
    // Without -i the process's stdin is empty: `cat` ends at once.
    let out = with_input(
        &lab,
        &["run", "--rm", "--name", "d", "bb:1", "cat"],
        b"not for it\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(lab.container_dirs().is_empty(), "--rm left nothing");
}

#[test]
fn an_attached_run_keeps_stdout_and_stderr_apart_and_returns_the_exit_code() {
    require_root!();
    let lab = Lab::new("attach_streams");
    let out = lab.run(&[
        "run",
        "--name",
        "c",
        "bb:1",
        "sh",
        "-c",
        "echo out; echo err >&2; printf 'no newline'; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out), "out\nno newline");
    assert_eq!(stderr(&out), "err\n");
    // The log kept them too.
    let logs = lab.run(&["logs", "c"]);
    assert_eq!(stdout(&logs), "out\nno newline");
    assert_eq!(stderr(&logs), "err\n");
}

#[test]
fn start_attach_of_a_created_rm_container_prints_its_output_and_removes_it() {
    require_root!();
    let lab = Lab::new("attach_start_rm");
    // podman's 045-start "podman start attach with created --rm container".
    let id = lab.ok(&["create", "--rm", "bb:1", "echo", "c-msg"]);
    assert_eq!(lab.ok(&["start", "-a", &id]), "c-msg");
    lab.fails(1, &["inspect", &id]);
    assert!(lab.container_dirs().is_empty());
}

#[test]
fn start_attach_interactive_feeds_stdin_and_the_log_keeps_the_output() {
    require_root!();
    let lab = Lab::new("attach_start_ai");
    // podman's 035-logs: create -i, start --attach --interactive, then logs.
    lab.ok(&[
        "create",
        "-i",
        "--name",
        "c",
        "bb:1",
        "sh",
        "-c",
        "read a; echo \"got $a\"",
    ]);
    let out = with_input(&lab, &["start", "-a", "-i", "c"], b"line1\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "got line1\n");
    assert_eq!(lab.ok(&["logs", "c"]), "got line1");
    // -i needs -a, as docker's.
    lab.fails(2, &["start", "-i", "c"]);
}

#[test]
fn attach_forwards_stdin_to_a_detached_interactive_container_and_detach_keys_leave_it_running() {
    require_root!();
    let lab = Lab::new("attach_detach_keys");
    lab.ok(&[
        "run",
        "-d",
        "-i",
        "--name",
        "c",
        "bb:1",
        "sh",
        "-c",
        "while read l; do echo \"got $l\"; echo \"e $l\" >&2; done; echo bye",
    ]);
    // ctrl-p ctrl-q: the client goes, the container stays.
    let out = attach_then_detach(&lab, &["attach", "c"], "hello", b"\x10\x11");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "got hello\n");
    assert_eq!(stderr(&out), "e hello\n");
    assert_eq!(lab.status("c"), "running");
    // A second client's input reaches the same process, with keys of its
    // choosing.
    let args = ["attach", "--detach-keys", "ctrl-x", "c"];
    let out = attach_then_detach(&lab, &args, "two", b"\x18");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "got two\n");
    assert_eq!(lab.status("c"), "running");
    // A client's EOF does not close a detached container's stdin (docker:
    // no StdinOnce with -d): the next client's input still reaches it.
    let mut eof = lab
        .strata(&["attach", "c"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = eof.kill();
    let _ = eof.wait();
    let out = attach_then_detach(&lab, &["attach", "c"], "three", b"\x10\x11");
    assert_eq!(stdout(&out), "got three\n");
    // --no-stdin: output only; the container ending ends the attach with
    // its code.
    let mut watcher = lab
        .strata(&["attach", "--no-stdin", "c"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Time to connect; a kill before would end the watcher with 1 instead.
    std::thread::sleep(Duration::from_millis(500));
    lab.ok(&["kill", "-s", "TERM", "c"]);
    let status = watcher.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    lab.fails(1, &["attach", "c"]);
    lab.fails(1, &["attach", "--detach-keys", "ctrl-1", "c"]);
}

#[test]
fn run_t_gives_a_terminal_of_the_containers_devpts_with_term_set() {
    require_root!();
    let lab = Lab::new("attach_run_t");
    // Under a monitor, and in the one-shot run, with no terminal of ours.
    for name in [&["--name", "c"][..], &[][..]] {
        let mut args = vec!["run", "-t", "--rm"];
        args.extend_from_slice(name);
        args.extend_from_slice(&["bb:1", "sh", "-c", "tty; echo $TERM"]);
        let out = lab.strata(&args).stdin(Stdio::null()).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(
            lines[0].starts_with("/dev/pts/"),
            "{args:?}: a pty of its own devpts: {text:?}"
        );
        // podman's "run defaultenv": -t gives TERM=xterm, CRLF ended.
        assert_eq!(lines[1], "xterm", "{text:?}");
    }
    // Without -t, the streams are plain: no terminal, no TERM.
    let out = lab.run(&["run", "--rm", "--name", "p", "bb:1", "tty"]);
    assert_eq!(stdout(&out), "not a tty\n");
}

#[test]
fn the_terminals_size_reaches_the_container_at_start_and_at_attach() {
    require_root!();
    let lab = Lab::new("attach_winsize");
    let shown = in_terminal(&lab, 30, 100, "run -it --rm --name w bb:1 stty size", None);
    assert!(shown.contains("30 100"), "{shown:?}");
    assert!(shown.contains("rc=0"), "{shown:?}");
    // A detached terminal container gets the size of whoever attaches.
    lab.ok(&[
        "run",
        "-d",
        "-i",
        "-t",
        "--name",
        "r",
        "bb:1",
        "sh",
        "-c",
        "read x; stty size",
    ]);
    let shown = in_terminal(&lab, 41, 91, "attach r", Some(b"go\n"));
    assert!(shown.contains("41 91"), "{shown:?}");
    assert!(shown.contains("rc=0"), "{shown:?}");
    assert_eq!(lab.exit_code("r"), 0);
}

/// A window-size change while attached reaches the container's terminal:
/// the client passes its SIGWINCH on as a resize (docker's and podman's
/// attach do the same). The resize comes once the container has seen the
/// first size, so nothing here depends on timing.
#[test]
fn resizing_the_terminal_during_attach_resizes_the_containers() {
    require_root!();
    let lab = Lab::new("attach_resize");
    // Each wait gives up after 30 s (exit 3), so a failure cannot hang.
    let until = |size: &str| {
        format!(
            "i=0; until [ \"$(stty size)\" = \"{size}\" ]; do \
             i=$((i+1)); [ $i -gt 300 ] && exit 3; sleep 0.1; done"
        )
    };
    let script = format!(
        "{}; echo first size; {}; echo resized to $(stty size)",
        until("41 91"),
        until("50 120")
    );
    lab.ok(&[
        "run", "-d", "-i", "-t", "--name", "r", "bb:1", "sh", "-c", &script,
    ]);
    let strata = strata_cmd(&lab);
    // The attach runs in the background of the terminal's shell (in its
    // foreground process group, so SIGWINCH reaches it; stdin the
    // terminal, which a background job would not get); `stty` resizes
    // the terminal once the container has seen the attach's first size.
    let line = format!(
        "stty rows 41 cols 91; {strata} attach r </dev/tty & \
         i=0; until {strata} logs r | grep -q 'first size'; do \
         i=$((i+1)); [ $i -gt 300 ] && break; sleep 0.1; done; \
         stty rows 50 cols 120; wait $!; echo rc=$?"
    );
    let shown = shell_in_terminal(&line, None);
    assert!(shown.contains("first size"), "{shown:?}");
    assert!(shown.contains("resized to 50 120"), "{shown:?}");
    assert!(shown.contains("rc=0"), "{shown:?}");
    assert_eq!(lab.exit_code("r"), 0);
}

#[test]
fn exec_t_runs_in_a_terminal_and_exec_d_runs_on_in_the_background() {
    require_root!();
    let lab = Lab::new("attach_exec_t");
    lab.ok(&["run", "-d", "--name", "c", "bb:1", "sleep", "100"]);
    let out = lab
        .strata(&["exec", "-t", "c", "sh", "-c", "tty; echo $TERM"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with("/dev/pts/"), "{text:?}");
    // podman's "exec --tty": -t on the exec gives TERM=xterm, an explicit
    // --env wins, and without -t anywhere there is none.
    assert_eq!(lines[1], "xterm", "{text:?}");
    let out = lab
        .strata(&[
            "exec",
            "-t",
            "-e",
            "TERM=mine",
            "c",
            "sh",
            "-c",
            "echo $TERM",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "mine\r\n");
    assert_eq!(
        lab.ok(&["exec", "c", "sh", "-c", "echo ${TERM-unset}"]),
        "unset"
    );

    // exec -d returns at once; the command runs on after strata is gone.
    let start = Instant::now();
    lab.ok(&["exec", "-d", "c", "sh", "-c", "sleep 1; echo later > /made"]);
    assert!(start.elapsed() < Duration::from_secs(1));
    lab.fails(1, &["exec", "c", "cat", "/made"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = lab.run(&["exec", "c", "cat", "/made"]);
        if out.status.success() {
            assert_eq!(stdout(&out), "later\n");
            break;
        }
        assert!(Instant::now() < deadline, "exec -d never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    lab.ok(&["rm", "-f", "c"]);
    lab.fails(1, &["exec", "-d", "c", "true"]);
}
