//! The cgroup v2 device policy (an eBPF device program on the policy
//! cgroup), forced with STRATA_DEVICE_CGROUP2 on this v1 or hybrid host:
//! a device program attached to a cgroup of the v2 hierarchy confines its
//! members even when the v1 controllers are in use, so the loop-device
//! attack of tests/sandbox_escape.rs must get EPERM from the program
//! alone (the v1 devices policy is not used then), while the harmless
//! nodes still open and `--privileged` still reaches the device.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::cgroup2::Cgroup2;
use support::cli::{run, stderr, stdout};
use support::escape::{EscapeImage, LoopDevice, MARK, said};

fn image() -> &'static EscapeImage {
    static IMAGE: OnceLock<EscapeImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        EscapeImage::create(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox_escape_cgroup2"))
    })
}

/// `strata` with the v2 device program forced.
fn strata_v2(img: &EscapeImage, cgroup2: &Cgroup2) -> Command {
    let mut cmd = img.strata();
    cmd.env("STRATA_DEVICE_CGROUP2", &cgroup2.path);
    cmd
}

fn run_v2(cgroup2: &Cgroup2, flags: &[&str], args: &[&str]) -> Output {
    let img = image();
    run(strata_v2(img, cgroup2)
        .args(["run", "--rm"])
        .args(flags)
        .arg("esc:1")
        .args(args))
}

fn build_v2(cgroup2: &Cgroup2, name: &str, lines: &[&str], flags: &[&str]) -> Output {
    let img = image();
    let ctx = img.context(name, lines);
    run(strata_v2(img, cgroup2)
        .args(["build", "--progress", "plain", "--no-cache"])
        .args(flags)
        .arg(&ctx))
}

/// A host directory bound at /mnt: a mount without nodev, where only the
/// device policy stands between mknod and the device.
fn volume(dir: &Path) -> String {
    let vol = dir.join("vol");
    std::fs::create_dir_all(&vol).unwrap();
    format!("{}:/mnt", vol.display())
}

#[test]
fn a_mknod_loop_device_gets_eperm_from_the_v2_device_program_unless_privileged() {
    require_root!();
    let cgroup2 = Cgroup2::find_or_mount();
    let dir = tempfile::tempdir().unwrap();
    let dev = LoopDevice::create(dir.path());
    let minor = dev.minor.to_string();
    let vol = volume(dir.path());
    let attack = |node: &'static str| ["/escape", "mknod-open", node, "b", "7", minor.as_str()];

    let out = run_v2(&cgroup2, &["-v", &vol], &attack("/mnt/l1"));
    assert_eq!(
        said(&out, "mknod-open"),
        "mknod-open: open: Operation not permitted",
        "{}",
        stderr(&out)
    );
    let out = run_v2(&cgroup2, &["--privileged", "-v", &vol], &attack("/mnt/l2"));
    assert_eq!(
        said(&out, "mknod-open"),
        format!("mknod-open: ok read {MARK}"),
        "{}",
        stderr(&out)
    );

    // A cache mount is a bind without nodev.
    let cached = format!(
        "RUN --mount=type=cache,target=/c /escape mknod-open /c/l b 7 {minor}; rc=$?; rm -f /c/l; exit $rc"
    );
    let out = build_v2(&cgroup2, "loop-cache", &[&cached], &[]);
    assert!(!out.status.success(), "{}", stderr(&out));
    assert_eq!(
        said(&out, "mknod-open"),
        "mknod-open: open: Operation not permitted"
    );
    let insecure = format!(
        "RUN --security=insecure --mount=type=cache,target=/c /escape mknod-open /c/l b 7 {minor}; rc=$?; rm -f /c/l; exit $rc"
    );
    let out = build_v2(
        &cgroup2,
        "loop-insecure",
        &[&insecure],
        &["--allow", "security.insecure"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        said(&out, "mknod-open"),
        format!("mknod-open: ok read {MARK}")
    );
}

/// Each harmless node is opened and used; /dev/tty has no controlling
/// terminal here, so its open reaches the driver (ENXIO) only if the
/// program let it through, where a denial would be EPERM.
const HARMLESS: &str = "echo x > /dev/null && echo null ok; \
     head -c 3 /dev/zero | wc -c | sed 's/^ */zero /'; \
     head -c 4 /dev/urandom | wc -c | sed 's/^ */urandom /'; \
     (: < /dev/tty) 2>&1 | sed 's/.*: /tty /'";

fn assert_harmless_devices_work(text: &str) {
    for want in [
        "null ok",
        "zero 3",
        "urandom 4",
        "tty No such device or address",
    ] {
        assert!(
            text.lines().any(|l| l.ends_with(want)),
            "{want:?} in:\n{text}"
        );
    }
    assert!(!text.contains("not permitted"), "{text}");
}

#[test]
fn null_zero_urandom_and_tty_still_open_under_the_v2_device_program() {
    require_root!();
    let cgroup2 = Cgroup2::find_or_mount();
    let dir = tempfile::tempdir().unwrap();
    let vol = volume(dir.path());
    let out = run_v2(&cgroup2, &["-v", &vol], &["sh", "-c", HARMLESS]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_harmless_devices_work(&stdout(&out));

    let line = format!("RUN --mount=type=cache,target=/c sh -c \"{HARMLESS}\"");
    let out = build_v2(&cgroup2, "harmless", &[&line], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_harmless_devices_work(&stderr(&out));
}

/// The v2 cgroup (as the host sees it) of the workload, a `sleep` whose
/// root holds `/mnt/TOKEN`, looked up while it sleeps.
fn workload_cgroup(cgroup2: &Cgroup2, flags: &[&str], token: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let vol = volume(dir.path());
    let script = format!("touch /mnt/{token}; exec sleep 3");
    let mut child = strata_v2(image(), cgroup2)
        .args(["run", "--rm", "-v", &vol])
        .args(flags)
        .args(["esc:1", "sh", "-c", &script])
        .spawn()
        .unwrap();
    let workload = || {
        std::fs::read_dir("/proc")
            .ok()?
            .filter_map(|e| e.ok())
            .find(|e| {
                // The workload itself, not the sandbox's inits around it.
                let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                cmdline.starts_with(b"sleep\0") && e.path().join("root/mnt").join(token).exists()
            })
            .and_then(|e| std::fs::read_to_string(e.path().join("cgroup")).ok())
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut found = workload();
    while found.is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        found = workload();
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    let text = found.unwrap_or_else(|| panic!("no process with /mnt/{token}"));
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .unwrap_or_else(|| panic!("no v2 line in {text}"))
        .to_owned()
}

#[test]
fn a_run_with_a_bind_mount_is_in_the_v2_policy_cgroup_and_a_privileged_one_is_not() {
    require_root!();
    let cgroup2 = Cgroup2::find_or_mount();
    let confined = workload_cgroup(&cgroup2, &[], "confined-run");
    assert!(confined.starts_with("/strata/policy-"), "{confined}");
    let program = cgroup2.path.join(confined.trim_start_matches('/'));
    assert!(program.is_dir(), "{}", program.display());
    let privileged = workload_cgroup(&cgroup2, &["--privileged"], "privileged-run");
    assert!(!privileged.starts_with("/strata/"), "{privileged}");
}

/// `strata ARGS` in a mount namespace of its own where /sys/fs/cgroup is
/// a cgroup2 mount, as on a v2-only host, and nothing is forced.
fn strata_on_a_v2_only_host(args: &[&str]) -> Output {
    let img = image();
    run(Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_strata"))
        .arg("--root")
        .arg(img.store())
        .args(args)
        .env_remove("STRATA_DEVICE_CGROUP2")
        .env_remove("SOURCE_DATE_EPOCH"))
}

#[test]
fn on_a_cgroup_v2_only_host_the_device_program_is_chosen_unforced() {
    require_root!();
    let dir = tempfile::tempdir().unwrap();
    let dev = LoopDevice::create(dir.path());
    let minor = dev.minor.to_string();
    let vol = volume(dir.path());
    // The v1 devices hierarchy is out of sight there: only the program
    // can refuse the open.
    let out = strata_on_a_v2_only_host(&[
        "run",
        "--rm",
        "-v",
        &vol,
        "esc:1",
        "/escape",
        "mknod-open",
        "/mnt/l",
        "b",
        "7",
        &minor,
    ]);
    assert_eq!(
        said(&out, "mknod-open"),
        "mknod-open: open: Operation not permitted",
        "{}",
        stderr(&out)
    );
    let out = strata_on_a_v2_only_host(&[
        "run",
        "--rm",
        "--privileged",
        "-v",
        &vol,
        "esc:1",
        "/escape",
        "mknod-open",
        "/mnt/l2",
        "b",
        "7",
        &minor,
    ]);
    assert_eq!(
        said(&out, "mknod-open"),
        format!("mknod-open: ok read {MARK}"),
        "{}",
        stderr(&out)
    );
}
