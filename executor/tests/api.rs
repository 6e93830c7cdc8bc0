//! The library API as the builder uses it: output captured through pipes,
//! exit statuses, signals, errors. This binary is its own sandbox init.
//! Needs root; prints "skipped" otherwise.

use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;

use strata_executor::{ExecError, ExitStatus, Mount, Rootfs, RunSpec, Sandbox, Signal, Stdio};

fn main() {
    strata_executor::init_if_requested();
    if !rustix::process::geteuid().is_root() {
        println!("skipped: needs root");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let root = busybox_rootfs(&dir.path().join("rootfs"));
    type Test = (&'static str, fn(&Path));
    let tests: &[Test] = &[
        (
            "stdout_and_stderr_are_captured_separately",
            stdout_and_stderr_are_captured_separately,
        ),
        (
            "exit_codes_and_signals_are_reported",
            exit_codes_and_signals_are_reported,
        ),
        (
            "a_signal_is_forwarded_to_the_process",
            a_signal_is_forwarded_to_the_process,
        ),
        (
            "a_missing_command_is_an_error_not_a_status",
            a_missing_command_is_an_error_not_a_status,
        ),
        ("an_empty_command_is_refused", an_empty_command_is_refused),
        ("run_mounts_bind_and_tmpfs", run_mounts_bind_and_tmpfs),
    ];
    for (name, test) in tests {
        test(&root);
        println!("test {name} ... ok");
    }
}

fn busybox_rootfs(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("bin")).expect("mkdir");
    std::fs::create_dir_all(dir.join("etc")).expect("mkdir");
    std::fs::copy("/bin/busybox", dir.join("bin/busybox")).expect("copy busybox");
    for applet in ["sh", "echo", "sleep", "cat", "df", "grep", "touch"] {
        symlink("busybox", dir.join("bin").join(applet)).expect("symlink");
    }
    std::fs::write(dir.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").expect("passwd");
    dir.to_path_buf()
}

fn sh(root: &Path, script: &str) -> RunSpec {
    RunSpec::new(
        Rootfs::Dir(root.to_path_buf()),
        vec!["sh".into(), "-c".into(), script.into()],
    )
}

fn pipe() -> (std::fs::File, std::os::fd::OwnedFd) {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).expect("pipe");
    (std::fs::File::from(r), w)
}

fn stdout_and_stderr_are_captured_separately(root: &Path) {
    let (mut out_r, out_w) = pipe();
    let (mut err_r, err_w) = pipe();
    let stdio = Stdio {
        stdin: None,
        stdout: Some(out_w),
        stderr: Some(err_w),
    };
    let running = Sandbox::spawn(&sh(root, "echo to-out; echo to-err >&2"), stdio).expect("spawn");
    assert_eq!(running.wait().expect("wait"), ExitStatus::Exited(0));
    let (mut out, mut err) = (String::new(), String::new());
    out_r.read_to_string(&mut out).expect("read");
    err_r.read_to_string(&mut err).expect("read");
    assert_eq!((out.as_str(), err.as_str()), ("to-out\n", "to-err\n"));
}

fn exit_codes_and_signals_are_reported(root: &Path) {
    let run = |script| {
        Sandbox::spawn(&sh(root, script), Stdio::inherit())
            .expect("spawn")
            .wait()
            .expect("wait")
    };
    assert_eq!(run("exit 3"), ExitStatus::Exited(3));
    assert_eq!(run("kill -TERM $$"), ExitStatus::Signaled(15));
}

fn a_signal_is_forwarded_to_the_process(root: &Path) {
    let mut running = Sandbox::spawn(&sh(root, "exec sleep 30"), Stdio::inherit()).expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(running.try_wait().expect("try_wait"), None);
    running.signal(Signal::INT);
    assert_eq!(running.wait().expect("wait"), ExitStatus::Signaled(2));
}

fn a_missing_command_is_an_error_not_a_status(root: &Path) {
    let spec = RunSpec::new(Rootfs::Dir(root.to_path_buf()), vec!["make".into()]);
    let err = Sandbox::spawn(&spec, Stdio::inherit())
        .expect("spawn")
        .wait()
        .expect_err("no make in busybox");
    assert!(
        matches!(err, ExecError::CommandNotFound(ref c) if c == "make"),
        "{err}"
    );
}

fn an_empty_command_is_refused(root: &Path) {
    let spec = RunSpec::new(Rootfs::Dir(root.to_path_buf()), vec![]);
    assert!(matches!(
        Sandbox::spawn(&spec, Stdio::inherit()),
        Err(ExecError::EmptyCommand)
    ));
}

/// What RUN --mount=type=bind / type=tmpfs need.
fn run_mounts_bind_and_tmpfs(root: &Path) {
    let src = tempfile::tempdir().expect("tempdir");
    std::fs::write(src.path().join("input"), "ctx\n").expect("write");
    let mut spec = sh(
        root,
        "cat /ctx/input; touch /ctx/x 2>/dev/null || echo ro; echo t > /cache/t && cat /cache/t; df -k /cache | grep -c 1024",
    );
    spec.mounts = vec![
        Mount::Bind {
            source: src.path().to_path_buf(),
            target: "/ctx".into(),
            readonly: true,
            options: Default::default(),
        },
        Mount::Tmpfs {
            target: "/cache".into(),
            size: Some(1 << 20),
            options: Default::default(),
        },
    ];
    let (mut out_r, out_w) = pipe();
    let stdio = Stdio {
        stdin: None,
        stdout: Some(out_w),
        stderr: None,
    };
    let status = Sandbox::spawn(&spec, stdio)
        .expect("spawn")
        .wait()
        .expect("wait");
    let mut out = String::new();
    out_r.read_to_string(&mut out).expect("read");
    assert_eq!(out, "ctx\nro\nt\n1\n", "{status}");
    assert!(!src.path().join("x").exists());
}
