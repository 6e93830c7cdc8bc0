//! Running strata as an unprivileged user: the test (root) creates the
//! user, then drops to it with setpriv.

use std::path::Path;
use std::process::{Command, Output};

use super::cli::{stderr, stdout};

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
    Command::new("setpriv")
        .args(["--reuid", USER, "--regid", USER, "--init-groups", "env"])
        .arg(format!("HOME={}", dir.display()))
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
