//! The root filesystem, assembled in pid 1's private mount namespace and
//! entered with pivot_root.

use std::path::{Path, PathBuf};

use rustix::mount::{
    MountFlags, MountPropagationFlags, UnmountFlags, mount, mount_bind_recursive, mount_change,
    unmount,
};

use super::in_root::{Kind, Root};
use super::{Context, InitConfig, dev, host_files, masks, mounts, overlay, run_devices};
use crate::{Network, Rootfs};

pub(super) fn build(config: &InitConfig) -> Result<(), String> {
    // Nothing we mount may propagate back to the host.
    mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .ctx(|| "make / private".into())?;
    // Also true in a namespace we were started in (rootless strata's).
    let userns = config.userns || crate::rootless::in_user_namespace();
    let nodev = config.spec.security.device_policy();
    let root_path = mount_root(&config.spec.rootfs, userns, nodev)?;
    let root = Root::open(&root_path)?;
    let proc = root.ensure(Path::new("proc"), Kind::Dir)?;
    mount(
        "proc",
        proc.proc_path(),
        "proc",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    )
    .ctx(|| "mount /proc".into())?;
    // A run with a devices cgroup of its own is kept from other nodes by
    // it, as docker's containers are: its /dev may hold the nodes it got.
    dev::build(&root, userns, nodev && !config.own_devices, !nodev)?;
    run_devices::apply(&root, &config.spec.devices, config.own_devices && !userns)?;
    mount_sys(&root)?;
    match &config.spec.network {
        Network::Host => host_files::apply(&root, Path::new("/etc/resolv.conf"))?,
        Network::Userspace { resolv_conf, .. } => host_files::apply(&root, resolv_conf)?,
        Network::None | Network::Namespace(_) => {}
    }
    mounts::apply(&root, &config.spec.mounts)?;
    if config.spec.security.masked_paths() {
        masks::apply(&root)?;
    }
    if config.spec.readonly_rootfs {
        // Last, so the mount points above could still be made; the mounts
        // on them keep their own flags.
        mounts::remount_with(&root_path, MountFlags::RDONLY)
            .ctx(|| "make the root filesystem read-only".into())?;
    }
    pivot(&root)
}

/// Mounts the overlay (over its own upper dir, which only this private
/// namespace sees) or binds the plain dir onto itself, so the root is a
/// mount point as pivot_root requires. `nodev`: device nodes in the image
/// (or made by mknod) cannot be opened, whatever the device cgroup says.
fn mount_root(rootfs: &Rootfs, userns: bool, nodev: bool) -> Result<PathBuf, String> {
    match rootfs {
        Rootfs::Dir(dir) => {
            mount_bind_recursive(dir, dir).ctx(|| format!("bind rootfs {}", dir.display()))?;
            if nodev {
                mounts::remount_with(dir, MountFlags::NODEV)
                    .ctx(|| format!("make rootfs {} nodev", dir.display()))?;
            }
            Ok(dir.clone())
        }
        Rootfs::Overlay { lower, upper, work } => {
            overlay::mount_overlay(lower, upper, work, userns, nodev)?;
            Ok(upper.clone())
        }
    }
}

/// /sys read-only: a fresh sysfs when we own the network namespace, else a
/// read-only bind of the host's (a user namespace may not mount sysfs for
/// a network namespace it does not own).
fn mount_sys(root: &Root) -> Result<(), String> {
    let sys = root.ensure(Path::new("sys"), Kind::Dir)?;
    let flags = MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    if mount("sysfs", sys.proc_path(), "sysfs", flags, None).is_ok() {
        return Ok(());
    }
    mount_bind_recursive("/sys", sys.proc_path()).ctx(|| "bind /sys".into())?;
    let top = root.ensure(Path::new("sys"), Kind::Dir)?;
    mounts::remount_readonly(&top.proc_path()).ctx(|| "make /sys read-only".into())
}

fn pivot(root: &Root) -> Result<(), String> {
    rustix::process::fchdir(root.fd()).ctx(|| "chdir to rootfs".into())?;
    // Stacking the old root under the new one and detaching it avoids
    // needing a put_old directory inside the image.
    rustix::process::pivot_root(".", ".").ctx(|| "pivot_root".into())?;
    unmount(".", UnmountFlags::DETACH).ctx(|| "detach the old root".into())?;
    rustix::process::chdir("/").ctx(|| "chdir /".into())
}
