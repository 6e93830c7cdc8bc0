//! The escape suite for an unprivileged caller: strata runs as a plain
//! user, so the sandbox sits in a user namespace; the same attacks, from
//! `strata run` and from RUN, must be refused there too (by the seccomp
//! filter and the capability set, since the user namespace's root holds
//! every capability over its own namespaces).

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::cli::{stderr, stdout};
use support::escape::{rootfs, said, set_setuid};
use support::rootless::{USER, as_user, chown_tree, test_user};
use support::sandbox::is_root;

macro_rules! require_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root to create the test user");
            return;
        }
    };
}

/// A store the test user owns, holding `esc:1`.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn get() -> &'static Self {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            test_user();
            let dir = tempfile::tempdir().unwrap();
            let rootfs = rootfs(dir.path());
            chown_tree(dir.path());
            set_setuid(&rootfs.join("euid"));
            let fx = Self { dir };
            let out = fx.strata(&["import", rootfs.to_str().unwrap(), "esc:1"]);
            assert!(out.status.success(), "import: {}", stderr(&out));
            fx
        })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn strata(&self, args: &[&str]) -> Output {
        let store = self.path().join("store");
        let mut all = vec!["--root", store.to_str().unwrap()];
        all.extend_from_slice(args);
        as_user(self.path(), &all)
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["run", "--rm", "esc:1"];
        all.extend_from_slice(args);
        self.strata(&all)
    }

    /// Builds `FROM esc:1` + `lines`, as the user.
    fn build(&self, name: &str, lines: &[&str]) -> Output {
        let ctx = self.path().join(format!("ctx-{name}"));
        std::fs::create_dir_all(&ctx).unwrap();
        let text = format!("FROM esc:1\n{}\n", lines.join("\n"));
        std::fs::write(ctx.join("Dockerfile"), text).unwrap();
        chown_tree(&ctx);
        self.strata(&[
            "build",
            "--progress",
            "plain",
            "--no-cache",
            ctx.to_str().unwrap(),
        ])
    }
}

/// Attacks and the refusal each must meet in the user namespace.
const ATTACKS: &[(&str, &[&str], &str)] = &[
    ("fds", &[], "fds: 0 1 2"),
    ("mount", &[], "mount: mount: Operation not permitted"),
    (
        "umount",
        &["/proc/keys"],
        "umount: umount: Operation not permitted",
    ),
    (
        "sethostname",
        &[],
        "sethostname: sethostname: Operation not permitted",
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
        "cgroup-write",
        &["pids", "pids.max", "7"],
        "cgroup-write: unshare: Operation not permitted",
    ),
    (
        "mknod-open",
        &["/tmp/kmsg", "c", "1", "11"],
        "mknod-open: mknod: Operation not permitted",
    ),
    ("add-key", &[], "add-key: add_key: Operation not permitted"),
    // Owned by a root the namespace does not map: refused before the
    // read-only mount is even consulted.
    (
        "write",
        &["/proc/sys/kernel/domainname", "x"],
        "write: open: Permission denied",
    ),
];

#[test]
fn a_rootless_run_refuses_each_attack() {
    require_root!();
    let fx = Fixture::get();
    for (attack, args, expected) in ATTACKS {
        let mut argv = vec!["/escape", attack];
        argv.extend_from_slice(args);
        let out = fx.run(&argv);
        assert_eq!(said(&out, attack), *expected, "{argv:?}");
    }
    let forge =
        "for fd in 3 4 5 6 7 8 9; do eval \"printf 'exit\\t0\\n' >&$fd\"; done 2>/dev/null; exit 1";
    assert_eq!(fx.run(&["sh", "-c", forge]).status.code(), Some(1));
}

#[test]
fn a_rootless_run_step_refuses_each_attack() {
    require_root!();
    let fx = Fixture::get();
    let script: Vec<String> = ATTACKS
        .iter()
        .map(|(attack, args, _)| format!("/escape {attack} {}", args.join(" ")))
        .collect();
    let out = fx.build("attacks", &[&format!("RUN {}; true", script.join("; "))]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (attack, _, expected) in ATTACKS {
        assert_eq!(said(&out, attack), *expected);
    }
    let out = fx.build("forged", &["RUN printf 'exit\\t0\\n' >&9; exit 1"]);
    assert!(!out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_users_keyring_is_out_of_reach_of_a_rootless_container() {
    require_root!();
    let fx = Fixture::get();
    let store = fx.path().join("store");
    let script = format!(
        "id=$(keyctl add user strata-escape-test payload @s) || exit 99; \
         '{}' --root '{}' run --rm esc:1 /escape keyctl-read \"$id\"; keyctl unlink \"$id\" @s >/dev/null",
        fx.path().join("strata").display(),
        store.display()
    );
    let out = Command::new("setpriv")
        .args(["--reuid", USER, "--regid", USER, "--init-groups", "env"])
        .arg(format!("HOME={}", fx.path().display()))
        // In the host's namespace: the host's network, not pasta.
        .arg(format!(
            "{}={}",
            support::cli::HOST_NETWORK.0,
            support::cli::HOST_NETWORK.1
        ))
        .args(["keyctl", "session", "-", "sh", "-c", &script])
        .current_dir(fx.path())
        .output()
        .unwrap();
    assert_eq!(
        said(&out, "keyctl-read"),
        "keyctl-read: keyctl read: Operation not permitted"
    );
}

#[test]
fn a_setuid_program_works_for_a_non_root_user_rootless() {
    require_root!();
    let fx = Fixture::get();
    let has_subids = std::fs::read_to_string("/etc/subuid")
        .is_ok_and(|t| t.lines().any(|l| l.starts_with(&format!("{USER}:"))));
    if !has_subids {
        eprintln!("skipped: {USER} has no subordinate ids, so no other user exists inside");
        return;
    }
    let out = fx.strata(&["run", "--rm", "-u", "app", "esc:1", "/euid"]);
    assert_eq!(stdout(&out), "euid=0\n", "{}", stderr(&out));
    let out = fx.build("setuid", &["USER app", "RUN /euid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("| euid=0\n"), "{}", stderr(&out));
}
