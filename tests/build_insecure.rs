//! `RUN --security=insecure` behind `--allow security.insecure`, through
//! the binary, as BuildKit's insecure mode: the step has every capability
//! the caller has, no seccomp filter, and reaches devices the default
//! policy hides (the host's device nodes are in its /dev); the same
//! command without it stays confined, and the two never share a cache
//! entry. (The escape suite shows the device, keyring and cgroup attacks
//! working only with it.)

mod support;

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};

fn status_field(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let ctx = env.path(name);
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(ctx.join("Dockerfile"), dockerfile).expect("Dockerfile");
    ctx
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn an_insecure_run_has_every_capability_and_no_seccomp_filter() {
    if !support::sandbox::is_root() {
        eprintln!("skipped: needs root (the caller's capabilities are the ceiling)");
        return;
    }
    let env = Env::new();
    let ctx = context(
        &env,
        "ctx",
        "FROM busybox\n\
         RUN cat /proc/self/status > /confined && ls /dev > /confined-dev\n\
         RUN --security=insecure cat /proc/self/status > /insecure && \
             ls /dev > /insecure-dev && mkdir /m && mount -t tmpfs none /m && umount /m && echo mounted > /insecure-mount\n",
    );
    let (id, _) = env.build_json(&ctx, &["--allow", "security.insecure"]);
    let (root, _) = env.unpack(id.trim(), "insecure");
    let ours = read(Path::new("/proc/self/status"));
    let insecure = read(&root.join("insecure"));
    let confined = read(&root.join("confined"));
    assert_eq!(
        status_field(&insecure, "CapEff"),
        status_field(&ours, "CapBnd"),
        "every capability of the caller's bounding set"
    );
    assert_eq!(status_field(&insecure, "Seccomp"), "0", "no seccomp filter");
    assert_eq!(
        read(&root.join("insecure-mount")),
        "mounted\n",
        "CAP_SYS_ADMIN mounts"
    );
    assert_ne!(
        status_field(&confined, "CapEff"),
        status_field(&ours, "CapBnd")
    );
    assert_eq!(
        status_field(&confined, "Seccomp"),
        "2",
        "the default RUN is filtered"
    );
    // The host's devices are there, as under `docker run --privileged`;
    // a sandboxed step has only the harmless ones.
    let insecure_dev: Vec<String> = read(&root.join("insecure-dev"))
        .lines()
        .map(String::from)
        .collect();
    let confined_dev: Vec<String> = read(&root.join("confined-dev"))
        .lines()
        .map(String::from)
        .collect();
    let host_devices: Vec<String> = fs::read_dir("/dev")
        .expect("/dev")
        .flatten()
        .filter(|e| {
            e.file_type()
                .is_ok_and(|t| t.is_char_device() || t.is_block_device())
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "console")
        .collect();
    assert!(!host_devices.is_empty());
    for name in &host_devices {
        assert!(
            insecure_dev.contains(name),
            "/dev/{name} in the insecure step: {insecure_dev:?}"
        );
    }
    // The harmless devices, and ptmx (a link to its own devpts there).
    let harmless = ["null", "zero", "full", "random", "urandom", "tty", "ptmx"];
    for name in host_devices
        .iter()
        .filter(|n| !harmless.contains(&n.as_str()))
    {
        assert!(
            !confined_dev.contains(name),
            "/dev/{name} in a sandboxed step"
        );
    }
}

#[test]
fn insecure_and_sandboxed_runs_of_one_command_do_not_share_a_key() {
    let env = Env::new();
    let plain = context(&env, "plain", "FROM busybox\nRUN echo same > /out\n");
    let insecure = context(
        &env,
        "insecure",
        "FROM busybox\nRUN --security=insecure echo same > /out\n",
    );
    let allow = ["--allow", "security.insecure"];
    let (_, events) = env.build_json(&plain, &allow);
    assert_eq!(fs_steps_run(&events).len(), 1);
    let (_, events) = env.build_json(&insecure, &allow);
    assert_eq!(
        fs_steps_run(&events).len(),
        1,
        "insecure misses the sandboxed RUN"
    );
    let (_, events) = env.build_json(&insecure, &allow);
    assert_eq!(fs_steps_cached(&events).len(), 1, "and hits its own");
}
