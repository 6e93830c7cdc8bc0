//! A privileged run's /dev holds the host's device nodes, as `docker run
//! --privileged` and BuildKit's insecure mode (`oci.WithHostDevices`) give
//! them: every character and block device under the host's /dev, bound
//! in at its own path (a bind works in a user namespace too, where mknod
//! does not). What /dev already has (the harmless devices, devpts, shm)
//! and the host's pseudo-filesystems under /dev are left alone.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use rustix::mount::mount_bind;

use super::Context;
use super::in_root::{Kind, Root};

/// Host /dev entries that are filesystems or per-mount-namespace state,
/// not devices to hand over (runc's HostDevices skips the same).
const SKIPPED: &[&str] = &["pts", "shm", "mqueue", "hugepages", "console"];

pub(super) fn bind_all(root: &Root) -> Result<(), String> {
    walk(root, Path::new("/dev"), Path::new("dev"), true)
}

fn walk(root: &Root, host: &Path, inside: &Path, top: bool) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(host) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if top && SKIPPED.iter().any(|s| name == *s) {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let (h, i) = (host.join(&name), inside.join(&name));
        if kind.is_dir() {
            walk(root, &h, &i, false)?;
        } else if kind.is_char_device() || kind.is_block_device() {
            if root.lookup(&i)?.is_some() {
                continue;
            }
            let node = root.ensure(&i, Kind::File)?;
            mount_bind(&h, node.proc_path()).ctx(|| format!("bind {}", h.display()))?;
        }
    }
    Ok(())
}
