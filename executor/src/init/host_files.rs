//! With the host's network, name resolution needs the host's
//! /etc/resolv.conf and /etc/hosts. They are bound read-only over the
//! image's own copies; an image without them gets none, so no file appears
//! in the container's diff that the command did not write. A userspace
//! network (pasta) gives its own resolv.conf in place of the host's.

use std::path::Path;

use rustix::mount::mount_bind;

use super::Context;
use super::in_root::Root;
use super::mounts::remount_readonly;

pub(super) fn apply(root: &Root, resolv_conf: &Path) -> Result<(), String> {
    let files = [
        ("etc/resolv.conf", resolv_conf),
        ("etc/hosts", Path::new("/etc/hosts")),
    ];
    for (rel, host) in files {
        if !host.is_file() {
            continue;
        }
        let Some(target) = root.lookup(Path::new(rel))? else {
            continue;
        };
        if target.is_dir() {
            continue;
        }
        mount_bind(host, target.proc_path()).ctx(|| format!("bind {}", host.display()))?;
        let Some(top) = root.lookup(Path::new(rel))? else {
            continue;
        };
        remount_readonly(&top.proc_path()).ctx(|| format!("make /{rel} read-only"))?;
    }
    Ok(())
}
