//! Busybox root filesystems for other architectures: Debian's
//! busybox-static for that architecture, downloaded once with apt (the .deb
//! is kept under the target dir) and unpacked with `dpkg -x`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::busybox::BUSYBOX;
use super::cli::{ok, strata};

/// The static busybox binary for `arch` (Debian's name: amd64, arm64, ...).
pub fn busybox_binary(arch: &str) -> PathBuf {
    let host = ok(Command::new("dpkg").arg("--print-architecture"));
    if host.trim() == arch {
        return PathBuf::from(BUSYBOX);
    }
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("foreign-busybox");
    let binary = cache.join(arch).join("bin/busybox");
    if binary.exists() {
        return binary;
    }
    std::fs::create_dir_all(&cache).expect("mkdir cache");
    // Each test downloads into its own dir and renames the result into
    // place, so tests running at once never see half a tree.
    let work = tempfile::tempdir_in(&cache).expect("tempdir");
    let package = format!("busybox-static:{arch}");
    let download = |dir: &Path| {
        Command::new("apt-get")
            .args(["download", "-q", &package])
            .current_dir(dir)
            .output()
            .expect("run apt-get")
            .status
            .success()
    };
    if !download(work.path()) {
        // The architecture may not be known to apt yet.
        ok(Command::new("dpkg").args(["--add-architecture", arch]));
        ok(Command::new("apt-get").args(["update", "-qq"]));
        assert!(download(work.path()), "apt-get download {package} failed");
    }
    let deb = std::fs::read_dir(work.path())
        .expect("read download dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("a downloaded .deb");
    let tree = work.path().join("tree");
    ok(Command::new("dpkg").arg("-x").arg(&deb).arg(&tree));
    let _ = std::fs::rename(&tree, cache.join(arch));
    assert!(binary.exists(), "{} after dpkg -x", binary.display());
    binary
}

/// `dir/rootfs-ARCH`: `arch`'s busybox with its applets linked in /bin
/// (the same Debian version has the same applets on every architecture,
/// so the host's busybox lists them), /etc/passwd with root, and /tmp.
pub fn busybox_rootfs_for(dir: &Path, arch: &str) -> PathBuf {
    let root = dir.join(format!("rootfs-{arch}"));
    for d in ["bin", "etc", "tmp"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    std::fs::copy(busybox_binary(arch), root.join("bin/busybox")).expect("copy busybox");
    let list = ok(Command::new(BUSYBOX).arg("--list"));
    for applet in list.lines().filter(|a| !a.is_empty() && *a != "busybox") {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .expect("symlink applet");
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
    std::fs::write(root.join("etc/group"), "root:x:0:\n").expect("group");
    root
}

/// Imports an amd64 and an arm64 busybox (rootfs made under `dir`) into
/// the store at `root` as one two-platform index named `name`.
pub fn import_two_platform_index(dir: &Path, root: &Path, name: &str) {
    for arch in ["amd64", "arm64"] {
        let rootfs = busybox_rootfs_for(dir, arch);
        ok(strata(root)
            .args(["import", "--platform", &format!("linux/{arch}")])
            .arg(&rootfs)
            .arg(name));
    }
}
