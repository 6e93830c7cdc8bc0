//! A minimal /dev: a tmpfs with the host's harmless devices bound in (a
//! user namespace may not mknod), its own devpts, shm and the usual links.

use std::path::Path;

use rustix::fs::symlinkat;
use rustix::mount::{MountFlags, mount, mount_bind};

use super::Context;
use super::in_root::{Kind, Root};

const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];
const LINKS: &[(&str, &str)] = &[
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("core", "/proc/kcore"),
    ("ptmx", "pts/ptmx"),
];

/// With `nodev` the tmpfs itself is nodev: a node made there by mknod
/// cannot be opened; the bound-in devices and devpts are mounts of their
/// own and keep working. `host_devices`: privileged, so the host's
/// devices are there too.
pub(super) fn build(
    root: &Root,
    userns: bool,
    nodev: bool,
    host_devices: bool,
) -> Result<(), String> {
    let dev = root.ensure(Path::new("dev"), Kind::Dir)?;
    let data = c"mode=755,size=65536k";
    let mut flags = MountFlags::NOSUID | MountFlags::STRICTATIME;
    if nodev {
        flags |= MountFlags::NODEV;
    }
    mount("tmpfs", dev.proc_path(), "tmpfs", flags, Some(data)).ctx(|| "mount /dev".into())?;
    // Everything below lives in our fresh tmpfs: no image symlinks to fear.
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        if !host.exists() {
            continue;
        }
        let node = root.ensure(&Path::new("dev").join(name), Kind::File)?;
        mount_bind(&host, node.proc_path()).ctx(|| format!("bind {}", host.display()))?;
    }
    let pts = root.ensure(Path::new("dev/pts"), Kind::Dir)?;
    // gid 5 (tty) only exists inside when the namespace maps it.
    let pts_opts = if userns {
        c"newinstance,ptmxmode=0666,mode=0620"
    } else {
        c"newinstance,ptmxmode=0666,mode=0620,gid=5"
    };
    mount(
        "devpts",
        pts.proc_path(),
        "devpts",
        MountFlags::NOSUID | MountFlags::NOEXEC,
        Some(pts_opts),
    )
    .ctx(|| "mount /dev/pts".into())?;
    let shm = root.ensure(Path::new("dev/shm"), Kind::Dir)?;
    mount(
        "shm",
        shm.proc_path(),
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        Some(c"mode=1777,size=65536k"),
    )
    .ctx(|| "mount /dev/shm".into())?;
    let dev = root.ensure(Path::new("dev"), Kind::Dir)?;
    for (name, target) in LINKS {
        let dirfd = rustix::fs::open(
            dev.proc_path(),
            rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .ctx(|| "open /dev".into())?;
        symlinkat(*target, &dirfd, *name).ctx(|| format!("link /dev/{name}"))?;
    }
    if host_devices {
        super::host_devices::bind_all(root)?;
    }
    Ok(())
}
