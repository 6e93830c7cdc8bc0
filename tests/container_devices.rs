//! `strata run/create --device` and `--device-cgroup-rule`: a rootful run
//! given devices gets a devices cgroup of its own (the policy plus its
//! grants), under the v1 devices controller and, forced with
//! STRATA_DEVICE_CGROUP2, as the v2 eBPF program; rootless the host node
//! is bound in. Mirrors podman's run_device_test.go ("podman run device
//! test", "device rename and permission test") and 030-run.bats "podman
//! run --device-cgroup-rule tests".
//!
//! /dev/kmsg is the device: the policy denies it, it is on every host,
//! and reading it is harmless. dmesg_restrict makes reading it need
//! CAP_SYSLOG, so the runs add it (as podman's test does): the cgroup
//! then is the only thing that differs between the runs.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::cgroup2::Cgroup2;
use support::cli::{stderr, stdout};
use support::containers::Lab;
use support::sandbox::is_root;

macro_rules! require_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

/// Which device policy the runs get.
enum Policy {
    V1,
    V2(Cgroup2),
}

impl Policy {
    fn v2() -> Self {
        Policy::V2(Cgroup2::find_or_mount())
    }

    fn strata(&self, lab: &Lab, args: &[&str]) -> Command {
        let mut cmd = lab.strata(args);
        if let Policy::V2(cgroup2) = self {
            cmd.env("STRATA_DEVICE_CGROUP2", &cgroup2.path);
        }
        cmd
    }

    fn run(&self, lab: &Lab, args: &[&str]) -> Output {
        self.strata(lab, args).output().unwrap()
    }

    fn ok(&self, lab: &Lab, args: &[&str]) -> String {
        let out = self.run(lab, args);
        assert!(
            out.status.success(),
            "strata {args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out).trim().to_owned()
    }

    /// Where strata's devices cgroups are: the policy's and the runs'.
    fn strata_cgroups(&self) -> PathBuf {
        match self {
            Policy::V1 => PathBuf::from("/sys/fs/cgroup/devices/strata"),
            Policy::V2(cgroup2) => cgroup2.path.join("strata"),
        }
    }

    /// The per-run devices cgroup dir holding `pid`, if any.
    fn run_cgroup_of(&self, pid: u64) -> Option<PathBuf> {
        let entries = std::fs::read_dir(self.strata_cgroups()).ok()?;
        entries.flatten().map(|e| e.path()).find(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("run-"))
                && std::fs::read_to_string(dir.join("cgroup.procs"))
                    .is_ok_and(|procs| procs.lines().any(|p| p == pid.to_string()))
        })
    }
}

/// `sh -c SCRIPT` in a `--rm` run with CAP_SYSLOG and `flags`.
fn sh(policy: &Policy, lab: &Lab, flags: &[&str], script: &str) -> Output {
    let mut args = vec!["run", "--rm", "--cap-add", "SYSLOG"];
    args.extend(flags);
    args.extend(["bb:1", "sh", "-c", script]);
    policy.run(lab, &args)
}

const READ_KMSG: &str = "dd if=/dev/kmsg of=/dev/null bs=8192 count=1";

fn said(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// podman's "podman run device test": the node the policy denies opens
/// once given with --device, and only then (a bind of it from the host
/// is no way around the cgroup).
fn kmsg_opens_only_when_given(policy: Policy, test: &str) {
    let lab = Lab::new(test);
    let bound = sh(&policy, &lab, &["-v", "/dev/kmsg:/dev/kmsg"], READ_KMSG);
    assert!(!bound.status.success(), "{}", said(&bound));
    assert!(
        said(&bound).contains("Operation not permitted"),
        "EPERM from the device cgroup: {}",
        said(&bound)
    );
    let given = sh(&policy, &lab, &["--device", "/dev/kmsg"], READ_KMSG);
    assert!(given.status.success(), "{}", said(&given));
    // A caller inside the policy cgroup (as a build moves itself there)
    // cannot pass its confinement on to a run given the device.
    let args = [
        "run",
        "--rm",
        "--cap-add",
        "SYSLOG",
        "--device",
        "/dev/kmsg",
        "bb:1",
    ];
    let args = [&args[..], &["sh", "-c", READ_KMSG]].concat();
    let inside = in_policy_cgroup(&policy, policy.strata(&lab, &args));
    assert!(inside.status.success(), "{}", said(&inside));
}

/// Runs `cmd` from a shell that first moves itself into the policy
/// cgroup (made by an earlier confined run).
fn in_policy_cgroup(policy: &Policy, cmd: Command) -> Output {
    let procs = policy.strata_cgroups().join("policy-1/cgroup.procs");
    assert!(procs.exists(), "{} not made", procs.display());
    let mut sh = Command::new("sh");
    sh.args(["-c", "echo $$ > \"$0\" && exec \"$@\""])
        .arg(&procs)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => sh.env(key, v),
            None => sh.env_remove(key),
        };
    }
    sh.output().unwrap()
}

#[test]
fn a_device_denied_by_the_policy_opens_when_given_v1() {
    require_root!();
    kmsg_opens_only_when_given(Policy::V1, "devices_given_v1");
}

#[test]
fn a_device_denied_by_the_policy_opens_when_given_v2() {
    require_root!();
    kmsg_opens_only_when_given(Policy::v2(), "devices_given_v2");
}

/// podman's "podman run device rename and permission test", with the
/// write it leaves as a TODO: `:r` grants reading only.
fn read_only_device_refuses_writes(policy: Policy, test: &str) {
    let lab = Lab::new(test);
    let script = "dd if=/dev/k of=/dev/null bs=8192 count=1 && echo read \
                  && { echo hello > /dev/k && echo wrote; true; }";
    let out = sh(&policy, &lab, &["--device", "/dev/kmsg:/dev/k:r"], script);
    assert!(out.status.success(), "{}", said(&out));
    assert!(stdout(&out).contains("read"), "{}", said(&out));
    assert!(!stdout(&out).contains("wrote"), "{}", said(&out));
    assert!(
        stderr(&out).contains("Operation not permitted"),
        "{}",
        said(&out)
    );
    // podman's TODO "Confirm absence of /dev/kmsg in container".
    let renamed = sh(
        &policy,
        &lab,
        &["--device", "/dev/kmsg:/dev/k:r"],
        "test -c /dev/k && test ! -e /dev/kmsg && echo renamed",
    );
    assert_eq!(stdout(&renamed).trim(), "renamed", "{}", said(&renamed));
}

#[test]
fn a_read_only_device_opens_for_reading_but_not_writing_v1() {
    require_root!();
    read_only_device_refuses_writes(Policy::V1, "devices_ro_v1");
}

#[test]
fn a_read_only_device_opens_for_reading_but_not_writing_v2() {
    require_root!();
    read_only_device_refuses_writes(Policy::v2(), "devices_ro_v2");
}

/// `--device-cgroup-rule 'c 1:11 r'`: a node the workload makes itself
/// opens for reading, and only as the rule says.
fn cgroup_rule_opens_a_made_node(policy: Policy, test: &str) {
    let lab = Lab::new(test);
    let make = "mknod /dev/km c 1 11 && dd if=/dev/km of=/dev/null bs=8192 count=1";
    let without = sh(&policy, &lab, &[], make);
    assert!(!without.status.success(), "{}", said(&without));
    let with = sh(&policy, &lab, &["--device-cgroup-rule", "c 1:11 r"], make);
    assert!(with.status.success(), "{}", said(&with));
    let write = sh(
        &policy,
        &lab,
        &["--device-cgroup-rule", "c 1:11 r"],
        "mknod /dev/km c 1 11 && echo hello > /dev/km",
    );
    assert!(!write.status.success(), "{}", said(&write));
    assert!(
        said(&write).contains("Operation not permitted"),
        "{}",
        said(&write)
    );
}

#[test]
fn a_device_cgroup_rule_lets_a_made_node_open_as_it_says_v1() {
    require_root!();
    cgroup_rule_opens_a_made_node(Policy::V1, "devices_rule_v1");
}

#[test]
fn a_device_cgroup_rule_lets_a_made_node_open_as_it_says_v2() {
    require_root!();
    cgroup_rule_opens_a_made_node(Policy::v2(), "devices_rule_v2");
}

/// podman's 030-run.bats "podman run --device-cgroup-rule tests": the
/// same rules accepted, the same bad ones refused, each error naming the
/// part that is wrong.
#[test]
fn device_cgroup_rules_are_checked_as_podman_checks_them() {
    require_root!();
    let lab = Lab::new("devices_rule_syntax");
    for rule in ["b 7:* rmw", "c 7:* rmw", "a 7:1 rmw", "a 7 rmw"] {
        lab.ok(&["run", "--rm", "--device-cgroup-rule", rule, "bb:1", "true"]);
    }
    for (rule, names) in [
        ("b 7:* rmX", "invalid device access 'X'"),
        ("b 7:2", "TYPE MAJOR:MINOR ACCESS"),
        ("x 7:* rmw", "invalid device type \"x\""),
        ("a a:* rmw", "invalid major number \"a\""),
    ] {
        let err = lab.fails(
            2,
            &["run", "--rm", "--device-cgroup-rule", rule, "bb:1", "true"],
        );
        assert!(err.contains("--device-cgroup-rule"), "{err}");
        assert!(err.contains(names), "{rule}: {err}");
    }
}

/// The pid of `name`'s init, once it runs.
fn init_pid(lab: &Lab, name: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pid = lab.inspect(name)["State"]["Pid"].as_u64().unwrap_or(0);
        if pid != 0 {
            return pid;
        }
        assert!(Instant::now() < deadline, "{name} never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn gone_soon(dir: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.exists() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A monitored container's devices cgroup lives as long as the running
/// container: `stop` removes it, `start` makes a new one, `exec` runs in
/// it, and after `rm` none of the container's is left.
fn monitored_container_keeps_its_device(policy: Policy, test: &str) {
    let lab = Lab::new(test);
    let name = format!("{test}-c");
    let read = [
        "exec",
        &name,
        "dd",
        "if=/dev/k",
        "of=/dev/null",
        "bs=8192",
        "count=1",
    ];
    policy.ok(
        &lab,
        &[
            "run",
            "-d",
            "--name",
            &name,
            "--cap-add",
            "SYSLOG",
            "--device",
            "/dev/kmsg:/dev/k",
            "bb:1",
            "sleep",
            "300",
        ],
    );
    let first = policy
        .run_cgroup_of(init_pid(&lab, &name))
        .expect("the running container has a devices cgroup of its own");
    policy.ok(&lab, &read);
    // exec joins the container's cgroups, its own devices cgroup with them
    // (under v2 too, where the forced mount is not /sys/fs/cgroup).
    let exec_cgroups = policy.ok(&lab, &["exec", &name, "cat", "/proc/self/cgroup"]);
    let container_cgroups = policy.ok(&lab, &["exec", &name, "cat", "/proc/1/cgroup"]);
    assert_eq!(exec_cgroups, container_cgroups);
    policy.ok(&lab, &["stop", "-t", "1", &name]);
    assert!(gone_soon(&first), "{} left after stop", first.display());
    policy.ok(&lab, &["start", &name]);
    let second = policy
        .run_cgroup_of(init_pid(&lab, &name))
        .expect("the restarted container has a devices cgroup again");
    policy.ok(&lab, &read);
    policy.ok(&lab, &["rm", "-f", &name]);
    assert!(gone_soon(&second), "{} left after rm", second.display());
}

#[test]
fn a_container_keeps_its_device_across_stop_start_and_exec_v1() {
    require_root!();
    monitored_container_keeps_its_device(Policy::V1, "devices_monitored_v1");
}

#[test]
fn a_container_keeps_its_device_across_stop_start_and_exec_v2() {
    require_root!();
    monitored_container_keeps_its_device(Policy::v2(), "devices_monitored_v2");
}

/// A restart policy's every restart gets the device again.
#[test]
fn each_restart_gets_the_device_again() {
    require_root!();
    let lab = Lab::new("devices_restart");
    let script = "dd if=/dev/k of=/dev/null bs=8192 count=1 2>/dev/null && echo read; exit 3";
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "again",
        "--restart",
        "on-failure:2",
        "--cap-add",
        "SYSLOG",
        "--device",
        "/dev/kmsg:/dev/k",
        "bb:1",
        "sh",
        "-c",
        script,
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while lab.status("again") != "exited" || lab.inspect("again")["RestartCount"] != 2 {
        assert!(Instant::now() < deadline, "{}", lab.inspect("again"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = lab.ok(&["logs", "again"]);
    assert_eq!(log.lines().filter(|l| *l == "read").count(), 3, "{log}");
    lab.ok(&["rm", "again"]);
}

/// Test-made nodes (of /dev/null's number) in a fresh dir: `mine` and
/// `sub/too`, a plain file beside them.
fn node_dir(dir: &Path) -> PathBuf {
    let nodes = dir.join("nodes");
    std::fs::create_dir_all(nodes.join("sub")).unwrap();
    for node in ["mine", "sub/too"] {
        let out = Command::new("mknod")
            .arg(nodes.join(node))
            .args(["c", "1", "3"])
            .output()
            .unwrap();
        assert!(out.status.success(), "mknod: {}", stderr(&out));
    }
    std::fs::write(nodes.join("plain"), "").unwrap();
    nodes
}

/// docker's inspect: HostConfig.Devices as PathOnHost, PathInContainer,
/// CgroupPermissions; a directory gives every node under it; a bad path
/// is refused by create as by run, naming the flag and the path.
#[test]
fn create_records_the_devices_and_refuses_what_is_no_device() {
    require_root!();
    let lab = Lab::new("devices_create");
    let nodes = node_dir(&lab.dir);
    let dir_arg = format!("{}:/dev/mine", nodes.display());
    lab.ok(&[
        "create",
        "--name",
        "dev-c",
        "--device",
        "/dev/kmsg:/dev/k:rw",
        "--device",
        &dir_arg,
        "--device-cgroup-rule",
        "c 1:11 r",
        "bb:1",
        "true",
    ]);
    let host = lab.inspect("dev-c")["HostConfig"].clone();
    let devices: Vec<(String, String, String)> = host["Devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (
                s("PathOnHost"),
                s("PathInContainer"),
                s("CgroupPermissions"),
            )
        })
        .collect();
    let n = |p: &str| nodes.join(p).to_string_lossy().into_owned();
    assert_eq!(
        devices,
        [
            ("/dev/kmsg".into(), "/dev/k".into(), "rw".into()),
            (n("mine"), "/dev/mine/mine".into(), "rwm".into()),
            (n("sub/too"), "/dev/mine/sub/too".into(), "rwm".into()),
        ]
    );
    assert_eq!(host["DeviceCgroupRules"], serde_json::json!(["c 1:11 r"]));
    let listed = lab.ok(&["start", "-a", "dev-c"]);
    assert!(listed.is_empty(), "{listed}");
    for cmd in ["run", "create"] {
        let err = lab.fails(1, &[cmd, "--device", "/nope", "bb:1", "true"]);
        assert!(err.contains("--device /nope: no such file"), "{err}");
        let err = lab.fails(1, &[cmd, "--device", "/etc/passwd", "bb:1", "true"]);
        assert!(
            err.contains("--device /etc/passwd: not a device node"),
            "{err}"
        );
    }
}

/// Rootless: no cgroup, the host node bound in (as podman does). A node
/// the user may open works inside; one it may not fails as on the host;
/// device cgroup rules get podman's error.
#[test]
fn rootless_runs_get_the_host_node_bound_in() {
    use support::rootless::{as_user, chown_tree, test_user};
    require_root!();
    let uid = test_user();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rootfs = support::busybox::busybox_rootfs(d, &support::busybox::SANDBOX);
    let nodes = node_dir(d);
    chown_tree(d);
    // Made after the chown: root's own, which the user may not open.
    let theirs = d.join("theirs");
    let out = Command::new("mknod")
        .arg(&theirs)
        .args(["c", "1", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "mknod: {}", stderr(&out));
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(nodes.join("mine"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = d.join("store");
    let user = |args: &[&str]| {
        let mut all = vec!["--root", store.to_str().unwrap()];
        all.extend(args);
        as_user(d, &all)
    };
    let imported = user(&["import", rootfs.to_str().unwrap(), "bb:1"]);
    assert!(imported.status.success(), "import: {}", said(&imported));

    let mine = format!("{}:/dev/mine", nodes.join("mine").display());
    let out = user(&[
        "run",
        "--rm",
        "--device",
        &mine,
        "bb:1",
        "sh",
        "-c",
        "echo hi > /dev/mine && echo ok",
    ]);
    assert_eq!(stdout(&out).trim(), "ok", "uid {uid}: {}", said(&out));

    let host = Command::new("setpriv")
        .args([
            "--reuid",
            &uid.to_string(),
            "--regid",
            &uid.to_string(),
            "--clear-groups",
        ])
        .args(["sh", "-c"])
        .arg(format!("echo hi > {}", theirs.display()))
        .output()
        .unwrap();
    assert!(
        !host.status.success(),
        "the user may not open it on the host"
    );
    let theirs_arg = format!("{}:/dev/theirs", theirs.display());
    let out = user(&[
        "run",
        "--rm",
        "--device",
        &theirs_arg,
        "bb:1",
        "sh",
        "-c",
        "echo hi > /dev/theirs",
    ]);
    assert!(!out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("Permission denied"), "{}", said(&out));

    let out = user(&[
        "run",
        "--rm",
        "--device-cgroup-rule",
        "c 1:3 rw",
        "bb:1",
        "true",
    ]);
    assert!(!out.status.success());
    // miette wraps the message at 80 columns.
    let flat = said(&out)
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(
            "device cgroup rules are not supported in rootless mode or in other non-privileged contexts"
        ),
        "{flat}"
    );
}
