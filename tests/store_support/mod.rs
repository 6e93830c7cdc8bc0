//! Shared helpers for the store end-to-end tests: run the binary, build a
//! busybox root filesystem, read images back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn strata(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
    c.arg("--root").arg(root);
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

/// Runs and requires success; returns trimmed stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

pub fn tool(name: &str) -> Command {
    Command::new(name)
}

/// /bin/busybox, its applets as symlinks in /bin, minimal passwd and group.
pub fn busybox_rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    for d in ["bin", "etc", "tmp", "root"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    std::fs::copy("/bin/busybox", root.join("bin/busybox"))
        .expect("copy busybox (install busybox-static)");
    let list = ok(Command::new("/bin/busybox").arg("--list"));
    for applet in list.lines().filter(|a| !a.is_empty() && *a != "busybox") {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .expect("symlink applet");
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
    std::fs::write(root.join("etc/group"), "root:x:0:\n").expect("group");
    root
}

pub fn inspect(root: &Path, image: &str) -> serde_json::Value {
    let out = ok(strata(root).args(["inspect", image]));
    serde_json::from_str(&out).expect("inspect prints JSON")
}

pub fn diff_ids(root: &Path, image: &str) -> Vec<String> {
    inspect(root, image)["RootFS"]["diff_ids"]
        .as_array()
        .expect("diff_ids")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Same contents (`diff -r --no-dereference`) and the same type, mode,
/// owner and link target for every path.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let out = run(tool("diff").args(["-r", "--no-dereference"]).arg(a).arg(b));
    assert!(
        out.status.success(),
        "trees differ:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    pretty_assertions::assert_eq!(metadata_listing(a), metadata_listing(b));
}

fn metadata_listing(root: &Path) -> String {
    let out =
        ok(tool("find")
            .arg(root)
            .args(["-mindepth", "1", "-printf", "%P %y %m %U:%G %l\\n"]));
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}

/// Number of entries in a store subdirectory.
pub fn count(root: &Path, sub: &str) -> usize {
    std::fs::read_dir(root.join(sub))
        .map(|d| d.count())
        .unwrap_or(0)
}
