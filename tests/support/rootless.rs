//! Unprivileged users for the rootless tests, and strata run as them. The
//! test process is root (to create the users); the user's strata gets a
//! home of its own under the test's temp dir, so its default store is
//! `HOME/.local/share/strata`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use super::cli::{HOST_NETWORK, ok, stderr, stdout};

/// useradd and /etc/subuid are shared by the tests of one binary.
static USERADD: Mutex<()> = Mutex::new(());

/// An unprivileged account of the host.
pub struct User {
    pub name: &'static str,
    pub uid: u32,
    /// Its primary group.
    pub gid: u32,
    /// The first subordinate uid and gid, when the user has ranges.
    pub subids: Option<(u32, u32)>,
}

impl User {
    /// A user with subordinate ids (useradd gives a regular user ranges in
    /// /etc/subuid and /etc/subgid, as Debian's login.defs says).
    pub fn with_subids(name: &'static str) -> Self {
        let user = Self::create(name, &[]);
        assert!(
            user.subids.is_some(),
            "useradd gave {name} no range in /etc/subuid and /etc/subgid"
        );
        user
    }

    /// A system user: useradd gives those no subordinate ids.
    pub fn without_subids(name: &'static str) -> Self {
        let user = Self::create(name, &["--system"]);
        assert!(user.subids.is_none(), "{name} has subordinate ids");
        user
    }

    fn create(name: &'static str, flags: &[&str]) -> Self {
        let _lock = USERADD.lock().unwrap_or_else(|e| e.into_inner());
        for file in ["/etc/subuid", "/etc/subgid"] {
            // useradd only allocates ranges when the files exist.
            if !Path::new(file).exists() {
                std::fs::write(file, "").expect("create the subordinate id file");
            }
        }
        let id = |flag: &str| Command::new("id").args([flag, name]).output().expect("id");
        if !id("-u").status.success() {
            ok(Command::new("useradd")
                .args(["-M", "-s", "/bin/sh"])
                .args(flags)
                .arg(name));
        }
        let uid = stdout(&id("-u")).trim().parse().expect("a numeric uid");
        let gid = stdout(&id("-g")).trim().parse().expect("a numeric gid");
        let first = |file: &str| -> Option<u32> {
            let text = std::fs::read_to_string(file).ok()?;
            text.lines().find_map(|l| {
                let mut f = l.split(':');
                (f.next()? == name).then(|| f.next()?.parse().ok())?
            })
        };
        let subids = first("/etc/subuid").zip(first("/etc/subgid"));
        Self {
            name,
            uid,
            gid,
            subids,
        }
    }

    /// A home for this user in `dir` (which the user may then enter), with
    /// a copy of the strata binary when the user cannot reach the build
    /// tree's (under /root, say).
    pub fn home(&self, dir: &Path) -> Home {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the test dir");
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("mkdir home");
        self.give(&home);
        let built = PathBuf::from(env!("CARGO_BIN_EXE_strata"));
        let reachable = Command::new("setpriv")
            .args(["--reuid", self.name, "--regid", self.name, "--init-groups"])
            .args(["test", "-x"])
            .arg(&built)
            .status()
            .is_ok_and(|s| s.success());
        let exe = if reachable {
            built
        } else {
            let copy = dir.join("strata");
            std::fs::copy(&built, &copy).expect("copy strata");
            copy
        };
        Home {
            user: self.name,
            dir: home,
            exe,
        }
    }

    /// chown -R to this user.
    pub fn give(&self, path: &Path) {
        ok(Command::new("chown")
            .arg("-R")
            .arg(format!("{0}:{0}", self.name))
            .arg(path));
    }
}

/// Where a user's strata runs: its HOME, the binary it runs.
pub struct Home {
    pub user: &'static str,
    pub dir: PathBuf,
    pub exe: PathBuf,
}

impl Home {
    /// `strata ARGS` as the user, in its home, with its default store.
    pub fn strata(&self, args: &[&str]) -> Output {
        self.run(&self.exe, args)
    }

    /// `PROGRAM ARGS` as the user, in its home, with nothing else of the
    /// test's environment.
    pub fn run(&self, program: &Path, args: &[&str]) -> Output {
        let node = self.dir.parent().unwrap_or(&self.dir).join("tun");
        as_user_with_tun(self.user, &node)
            .args(["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
            .arg(format!("HOME={}", self.dir.display()))
            // The host's namespace: its containers keep to the host's
            // network (a rootless default is pasta).
            .arg(format!("{}={}", HOST_NETWORK.0, HOST_NETWORK.1))
            .arg(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("run setpriv")
    }

    /// Like [`Home::strata`], requiring success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.strata(args);
        assert!(
            out.status.success(),
            "strata {args:?} as {} failed ({}):\nstdout: {}\nstderr: {}",
            self.user,
            out.status,
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// The user's default store.
    pub fn store(&self) -> PathBuf {
        self.dir.join(".local/share/strata")
    }
}

// The single-user harness of the run and escape suites: one user, no
// subordinate ids needed, a copy of strata in the test's dir.

pub const USER: &str = "strata-rootless";

/// The test user's uid, created on first use.
pub fn test_user() -> u32 {
    let id = || Command::new("id").args(["-u", USER]).output().unwrap();
    let mut out = id();
    if !out.status.success() {
        let made = Command::new("useradd")
            .args(["-M", "-s", "/bin/sh", USER])
            .output()
            .unwrap();
        out = id();
        assert!(out.status.success(), "useradd: {}", stderr(&made));
    }
    stdout(&out).trim().parse().unwrap()
}

/// Runs a copy of strata in `dir` as the test user: the build tree may sit
/// where that user cannot reach (under /root, say).
pub fn as_user(dir: &Path, args: &[&str]) -> Output {
    let exe = dir.join("strata");
    if !exe.exists() {
        std::fs::copy(env!("CARGO_BIN_EXE_strata"), &exe).unwrap();
    }
    as_user_with_tun(USER, &dir.join(".tun"))
        .arg("env")
        .arg(format!("HOME={}", dir.display()))
        .arg(format!("{}={}", HOST_NETWORK.0, HOST_NETWORK.1))
        .arg(&exe)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A single-id user namespace maps only the user: overlayfs refuses to copy
/// up a file owned by any other id (EOVERFLOW), as a rootless import makes.
pub fn chown_tree(path: &Path) {
    let owner = format!("{USER}:{USER}");
    let out = Command::new("chown")
        .args(["-R", &owner])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `setpriv` to `user`, in a private mount namespace whose /dev/net/tun
/// the user may open (a node made at `node`): builds run their steps in
/// a pasta namespace, and pasta opens it. Debian's udev makes the host's
/// 0666; where it is root's alone (this kind of CI machine) the host's is
/// left as it is.
pub fn as_user_with_tun(user: &str, node: &Path) -> Command {
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(
            "[ -e \"$0\" ] || { mknod \"$0\" c 10 200 && chmod 666 \"$0\"; } \
             && mount --bind \"$0\" /dev/net/tun && exec \"$@\"",
        )
        .arg(node)
        .arg("setpriv")
        .args(["--reuid", user, "--regid", user, "--init-groups"]);
    c
}
