//! `-v` and `RUN --mount` mounts: binds from the host and tmpfs.

use std::path::Path;

use rustix::fs::StatVfsMountFlags as St;
use rustix::mount::{
    MountFlags, MountPropagationFlags as Mp, mount, mount_bind, mount_bind_recursive, mount_change,
    mount_remount,
};

use super::Context;
use super::in_root::{Kind, Root, check_container_path};
use crate::{BindOptions, Mount, Propagation};

pub(super) fn apply(root: &Root, mounts: &[Mount]) -> Result<(), String> {
    // Parents before children, as docker and podman mount them: `-v
    // /host:/data/sub` given before `-v vol:/data` must not be hidden by it.
    let mut mounts: Vec<&Mount> = mounts.iter().collect();
    mounts.sort_by_key(|m| depth(m));
    for m in mounts {
        match m {
            Mount::Bind {
                source,
                target,
                readonly,
                options,
            } => {
                check_container_path(target)?;
                let kind = if source.is_dir() {
                    Kind::Dir
                } else {
                    Kind::File
                };
                if !source.exists() {
                    return Err(format!("bind source {} does not exist", source.display()));
                }
                let at = root.ensure(target, kind)?;
                if options.recursive {
                    mount_bind_recursive(source, at.proc_path())
                } else {
                    mount_bind(source, at.proc_path())
                }
                .ctx(|| format!("bind {} to {}", source.display(), target.display()))?;
                if *readonly || options.any_flag() {
                    // The old fd still names the mount below; look it up again.
                    let top = root.ensure(target, kind)?;
                    remount_with(&top.proc_path(), bind_flags(*readonly, options))
                        .ctx(|| format!("set the flags of {}", target.display()))?;
                }
                if let Some(p) = options.propagation {
                    let top = root.ensure(target, kind)?;
                    mount_change(top.proc_path(), propagation_flags(p))
                        .ctx(|| format!("set the propagation of {}", target.display()))?;
                }
            }
            Mount::Tmpfs {
                target,
                size,
                options,
            } => {
                check_container_path(target)?;
                let at = root.ensure(target, Kind::Dir)?;
                let data = [
                    size.map(|s| format!("size={s}")),
                    options.mode.map(|m| format!("mode={m:o}")),
                    options.uid.map(|u| format!("uid={u}")),
                    options.gid.map(|g| format!("gid={g}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(",");
                let data = std::ffi::CString::new(data).map_err(|e| e.to_string())?;
                let mut flags = MountFlags::NOSUID | MountFlags::NODEV;
                if options.noexec {
                    flags |= MountFlags::NOEXEC;
                }
                if options.readonly {
                    flags |= MountFlags::RDONLY;
                }
                mount(
                    "tmpfs",
                    at.proc_path(),
                    "tmpfs",
                    flags,
                    Some(data.as_c_str()),
                )
                .ctx(|| format!("mount tmpfs on {}", target.display()))?;
            }
        }
    }
    Ok(())
}

fn bind_flags(readonly: bool, options: &BindOptions) -> MountFlags {
    let mut flags = MountFlags::empty();
    for (on, flag) in [
        (readonly, MountFlags::RDONLY),
        (options.nosuid, MountFlags::NOSUID),
        (options.nodev, MountFlags::NODEV),
        (options.noexec, MountFlags::NOEXEC),
    ] {
        if on {
            flags |= flag;
        }
    }
    flags
}

fn propagation_flags(p: Propagation) -> Mp {
    match p {
        Propagation::Private => Mp::PRIVATE,
        Propagation::RPrivate => Mp::PRIVATE | Mp::REC,
        Propagation::Slave => Mp::DOWNSTREAM,
        Propagation::RSlave => Mp::DOWNSTREAM | Mp::REC,
        Propagation::Shared => Mp::SHARED,
        Propagation::RShared => Mp::SHARED | Mp::REC,
    }
}

fn depth(m: &Mount) -> usize {
    let (Mount::Bind { target, .. } | Mount::Tmpfs { target, .. }) = m;
    target
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count()
}

/// Remounts a bind mount read-only, keeping the flags a user namespace is
/// not allowed to clear (nosuid, nodev, noexec, atime) from the original.
pub(super) fn remount_readonly(target: &Path) -> rustix::io::Result<()> {
    remount_with(target, MountFlags::RDONLY)
}

/// Remounts a bind mount adding `extra` to the flags it has. The flags it
/// has are kept, not only cleared ones left alone: in a user namespace the
/// kernel locks the flags a mount had when the namespace got it (nodev,
/// nosuid, ro, noexec, atime), and a remount dropping one fails with EPERM.
pub(super) fn remount_with(target: &Path, extra: MountFlags) -> rustix::io::Result<()> {
    let current = rustix::fs::statvfs(target)?.f_flag;
    let mut flags = MountFlags::BIND | extra;
    if current.contains(St::RDONLY) {
        flags |= MountFlags::RDONLY;
    }
    for (st, mf) in [
        (St::NOSUID, MountFlags::NOSUID),
        (St::NODEV, MountFlags::NODEV),
        (St::NOEXEC, MountFlags::NOEXEC),
        (St::NOATIME, MountFlags::NOATIME),
        (St::NODIRATIME, MountFlags::NODIRATIME),
        (St::RELATIME, MountFlags::RELATIME),
    ] {
        if current.contains(st) {
            flags |= mf;
        }
    }
    mount_remount(target, flags, "")
}
