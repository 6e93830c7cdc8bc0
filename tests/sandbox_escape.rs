//! The escape suite, as root (the usual CI case): each attack of issue 12
//! tried from `strata run` and from a RUN step, expecting the kernel's
//! refusal; the device, keyring and cgroup attacks also run with
//! `--privileged` / `RUN --security=insecure`, where they must work, so
//! each test shows the policy is what stops them. They aim only at a loop
//! device, a key and a cgroup the test makes and removes.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use support::cli::{ok, stderr, stdout};
use support::escape::{EscapeImage, LoopDevice, MARK, TestCgroup, compile, said, with_session_key};

fn image() -> &'static EscapeImage {
    static IMAGE: OnceLock<EscapeImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        EscapeImage::create(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox_escape"))
    })
}

const INSECURE: &[&str] = &["--allow", "security.insecure"];

fn refused(line: &str) -> bool {
    !line.contains(": ok")
}

#[test]
fn the_workload_holds_only_its_stdio() {
    require_root!();
    let img = image();
    for flags in [&[][..], &["--privileged"]] {
        let out = img.run(flags, &["/escape", "fds"]);
        assert_eq!(
            said(&out, "fds"),
            "fds: 0 1 2",
            "{flags:?}: {}",
            stderr(&out)
        );
    }
    let out = img.build("fds", &["RUN /escape fds"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(said(&out, "fds"), "fds: 0 1 2");
}

#[test]
fn a_forged_report_line_cannot_turn_a_failed_run_into_success() {
    require_root!();
    let img = image();
    // The report pipe was fd 9 in RUN and fd 5 in run; try every low fd.
    let forge = "for fd in 3 4 5 6 7 8 9 10 11 12; do eval \"printf 'exit\\t0\\n' >&$fd\"; done 2>/dev/null; exit 1";
    let out = img.build(
        "forged",
        &["RUN printf 'exit\\t0\\n' >&9; exit 1"],
        &["-t", "forged:1"],
    );
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("exit code 1"), "{}", stderr(&out));
    let images = ok(img.strata().arg("images"));
    assert!(!images.contains("forged"), "{images}");
    let out = img.build("forged-loop", &[&format!("RUN {forge}")], &[]);
    assert!(!out.status.success(), "{}", stderr(&out));
    let out = img.run(&[], &["sh", "-c", forge]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn a_mknod_host_block_device_cannot_be_opened_unless_privileged() {
    require_root!();
    let img = image();
    let dir = tempfile::tempdir().unwrap();
    let dev = LoopDevice::create(dir.path());
    let minor = dev.minor.to_string();
    let attack = ["/escape", "mknod-open", "/root/l", "b", "7", &minor];
    let line = said(&img.run(&[], &attack), "mknod-open");
    assert!(line.starts_with("mknod-open: open:"), "{line}");
    // On a mount without nodev the device cgroup alone refuses the open.
    let vol = dir.path().join("vol");
    std::fs::create_dir(&vol).unwrap();
    let volume = format!("{}:/mnt", vol.display());
    let line = said(
        &img.run(
            &["-v", &volume],
            &["/escape", "mknod-open", "/mnt/l", "b", "7", &minor],
        ),
        "mknod-open",
    );
    assert_eq!(line, "mknod-open: open: Operation not permitted");
    let line = said(&img.run(&["--privileged"], &attack), "mknod-open");
    assert_eq!(line, format!("mknod-open: ok read {MARK}"));

    let run = format!("/escape mknod-open /root/l b 7 {minor}");
    let out = img.build("loop", &[&format!("RUN {run}")], &[]);
    assert!(!out.status.success());
    assert!(said(&out, "mknod-open").starts_with("mknod-open: open:"));
    // A cache mount is a bind without nodev: the device cgroup refuses.
    let cached = format!(
        "RUN --mount=type=cache,target=/c /escape mknod-open /c/l b 7 {minor}; rc=$?; rm -f /c/l; exit $rc"
    );
    let out = img.build("loop-cache", &[&cached], &[]);
    assert!(!out.status.success());
    assert_eq!(
        said(&out, "mknod-open"),
        "mknod-open: open: Operation not permitted"
    );
    let out = img.build(
        "loop-insecure",
        &[&format!("RUN --security=insecure {run}")],
        INSECURE,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        said(&out, "mknod-open"),
        format!("mknod-open: ok read {MARK}")
    );
}

#[test]
fn an_imported_device_node_cannot_be_opened_unless_privileged() {
    require_root!();
    let img = image();
    let dir = tempfile::tempdir().unwrap();
    let dev = LoopDevice::create(dir.path());
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    compile("escape.c", &rootfs.join("escape"));
    let node = rootfs.join("node");
    ok(Command::new("mknod")
        .arg(&node)
        .args(["b", "7", &dev.minor.to_string()]));
    ok(img.strata().arg("import").arg(&rootfs).arg("esc-dev:1"));
    let attack = |flags: &[&str]| {
        let out = img
            .strata()
            .args(["run", "--rm"])
            .args(flags)
            .args(["esc-dev:1", "/escape", "read", "/node"])
            .output()
            .unwrap();
        said(&out, "read")
    };
    assert_eq!(attack(&[]), "read: open: Permission denied");
    assert!(
        attack(&["--privileged"]).starts_with(&format!("read: ok read 40 bytes {MARK}")),
        "{}",
        attack(&["--privileged"])
    );
}

#[test]
fn the_kernel_log_device_cannot_be_opened() {
    require_root!();
    let img = image();
    let line = said(
        &img.run(&[], &["/escape", "mknod-open", "/tmp/kmsg", "c", "1", "11"]),
        "mknod-open",
    );
    assert!(line.starts_with("mknod-open: open:"), "{line}");
    let out = img.build("kmsg", &["RUN /escape mknod-open /tmp/kmsg c 1 11"], &[]);
    assert!(!out.status.success());
    assert!(said(&out, "mknod-open").starts_with("mknod-open: open:"));
}

#[test]
fn the_hosts_keyring_is_out_of_reach_unless_privileged() {
    require_root!();
    let img = image();
    let payload = "strata-key-payload";
    let run = |flags: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["esc:1", "/escape", "keyctl-read", "{KEY}"]);
        said(&with_session_key(img, payload, &args), "keyctl-read")
    };
    assert_eq!(
        run(&[]),
        "keyctl-read: keyctl read: Operation not permitted"
    );
    assert_eq!(run(&["--privileged"]), format!("keyctl-read: ok {payload}"));
    let line = said(&img.run(&[], &["/escape", "add-key"]), "add-key");
    assert_eq!(line, "add-key: add_key: Operation not permitted");

    let build = |name: &str, run_flag: &str, flags: &[&str]| {
        let ctx = img.context(
            name,
            &[
                "ARG KEY",
                &format!("RUN {run_flag} /escape keyctl-read $KEY"),
            ],
        );
        let ctx = ctx.to_str().unwrap().to_owned();
        let mut args = vec!["build", "--progress", "plain", "--no-cache"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--build-arg", "KEY={KEY}", &ctx]);
        with_session_key(img, payload, &args)
    };
    let out = build("key", "", &[]);
    assert!(!out.status.success());
    assert_eq!(
        said(&out, "keyctl-read"),
        "keyctl-read: keyctl read: Operation not permitted"
    );
    let out = build("key-insecure", "--security=insecure", INSECURE);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        said(&out, "keyctl-read"),
        format!("keyctl-read: ok {payload}")
    );
}

#[test]
fn host_cgroups_cannot_be_mounted_and_changed_unless_privileged() {
    require_root!();
    let img = image();
    let cg = TestCgroup::create("run");
    let file = format!("{}/pids.max", cg.name);
    let attack = ["/escape", "cgroup-write", "pids", &file, "7"];
    let line = said(&img.run(&[], &attack), "cgroup-write");
    assert_eq!(line, "cgroup-write: unshare: Operation not permitted");
    assert_eq!(cg.pids_max(), "max");
    let line = said(&img.run(&["--privileged"], &attack), "cgroup-write");
    assert_eq!(line, "cgroup-write: ok 7");
    assert_eq!(cg.pids_max(), "7");

    // Its own memory limit, mounted at the root of its cgroup namespace.
    let raise = [
        "/escape",
        "cgroup-write",
        "memory",
        "memory.limit_in_bytes",
        "1073741824",
    ];
    let line = said(&img.run(&["--memory", "64m"], &raise), "cgroup-write");
    assert_eq!(line, "cgroup-write: unshare: Operation not permitted");

    let cg = TestCgroup::create("build");
    let run = format!("/escape cgroup-write pids {}/pids.max 9", cg.name);
    let out = img.build("cgroup", &[&format!("RUN {run}")], &[]);
    assert!(!out.status.success());
    assert_eq!(
        said(&out, "cgroup-write"),
        "cgroup-write: unshare: Operation not permitted"
    );
    assert_eq!(cg.pids_max(), "max");
    let out = img.build(
        "cgroup-insecure",
        &[&format!("RUN --security=insecure {run}")],
        INSECURE,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(cg.pids_max(), "9");
}

/// Attacks on kernel interfaces, each with the start of the refusal the
/// helper prints.
const KERNEL: &[(&str, &[&str], &str)] = &[
    ("mount", &[], "mount: mount: Operation not permitted"),
    (
        "umount",
        &["/proc/keys"],
        "umount: umount: Operation not permitted",
    ),
    (
        "umount",
        &["/sys/firmware"],
        "umount: umount: Operation not permitted",
    ),
    (
        "sethostname",
        &[],
        "sethostname: sethostname: Operation not permitted",
    ),
    (
        "open-by-handle",
        &["/dev/shm"],
        "open-by-handle: open_by_handle_at: Operation not permitted",
    ),
    (
        "ptrace",
        &["1"],
        "ptrace: ptrace attach: Operation not permitted",
    ),
    (
        "clone-newuser",
        &[],
        "clone-newuser: clone: Operation not permitted",
    ),
    (
        "personality",
        &[],
        "personality: personality: Operation not permitted",
    ),
    (
        "write",
        &["/proc/sys/kernel/domainname", "x"],
        "write: open: Read-only file system",
    ),
    (
        "write",
        &["/sys/kernel/rcu_expedited", "0"],
        "write: open: Read-only file system",
    ),
    ("read", &["/proc/keys"], "read: ok read 0 bytes"),
];

#[test]
fn kernel_interfaces_refuse_the_workload() {
    require_root!();
    let img = image();
    for (attack, args, expected) in KERNEL {
        let mut argv = vec!["/escape", attack];
        argv.extend_from_slice(args);
        let out = img.run(&[], &argv);
        assert!(
            said(&out, attack).starts_with(expected),
            "{argv:?}: {}",
            said(&out, attack)
        );
    }
    // /proc/kcore is masked (empty) where the kernel has one.
    let out = img.run(&[], &["/escape", "read", "/proc/kcore"]);
    let line = said(&out, "read");
    assert!(line == "read: ok read 0 bytes " || refused(&line), "{line}");

    // The same from one RUN step, each attack on its own line of output.
    let script: Vec<String> = KERNEL
        .iter()
        .map(|(attack, args, _)| format!("/escape {attack} {}", args.join(" ")))
        .collect();
    let run = format!("RUN {}; true", script.join("; "));
    let out = img.build("kernel", &[&run], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stderr(&out);
    for (_, _, expected) in KERNEL {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(!text.contains(": ok\n"), "{text}");
}

#[test]
fn a_setuid_program_runs_as_its_owner_for_a_non_root_user() {
    require_root!();
    let img = image();
    let out = img.run(&["-u", "app"], &["/euid"]);
    assert_eq!(stdout(&out), "euid=0\n", "{}", stderr(&out));
    let out = img.run(
        &["-u", "app", "--security-opt", "no-new-privileges"],
        &["/euid"],
    );
    assert_eq!(stdout(&out), "euid=1000\n", "{}", stderr(&out));
    let out = img.build("setuid", &["USER app", "RUN id -u && /euid"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("| 1000\n"), "{}", stderr(&out));
    assert!(stderr(&out).contains("| euid=0\n"), "{}", stderr(&out));
}

#[test]
fn insecure_run_steps_need_the_entitlement() {
    require_root!();
    let img = image();
    let out = img.build("entitlement", &["RUN --security=insecure true"], &[]);
    assert!(!out.status.success());
    // miette wraps the message; read it as one line.
    let err = stderr(&out)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("--allow security.insecure"), "{err}");
}
