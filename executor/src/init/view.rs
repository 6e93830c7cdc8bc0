//! A container's filesystem as its process sees it, for `strata cp`
//! (which reads and writes files, and runs nothing): a running
//! sandbox's own mount namespace, joined; or, for a stopped one, its
//! overlay and binds mounted again in a private namespace of ours, so
//! overlayfs itself keeps the upper dir's whiteouts and opaque dirs right.

use std::path::PathBuf;

use rustix::mount::{MountPropagationFlags, mount_change};
use rustix::thread::{LinkNameSpaceType, UnshareFlags};

use super::in_root::Root;
use super::{Context, mounts, overlay};
use crate::{ExecError, Mount, Rootfs, RunSpec};

/// Joins the user and mount namespaces of the sandbox whose outer init is
/// `init_pid`: afterwards `/` is the container's root, its volumes and
/// tmpfs mounted as it sees them. Call it while single-threaded.
pub fn enter_container_mounts(init_pid: u32) -> Result<(), ExecError> {
    const WANTED: &[(&str, LinkNameSpaceType)] = &[
        ("user", LinkNameSpaceType::User),
        ("mnt", LinkNameSpaceType::Mount),
    ];
    super::join::enter_namespaces(PathBuf::from(format!("/proc/{init_pid}")), WANTED)
        .map_err(ExecError::Setup)
}

/// Mounts a stopped container's root filesystem (the overlay of `spec`,
/// over its upper dir, as a run does) and its bind mounts (volumes, `-v`
/// dirs) in a new private mount namespace of this process; returns the
/// root's path. A tmpfs holds nothing while the container is stopped, so
/// none is mounted. Call it while single-threaded.
pub fn mount_stopped_view(spec: &RunSpec) -> Result<PathBuf, ExecError> {
    crate::sys::unshare(UnshareFlags::NEWNS)
        .map_err(|e| ExecError::Setup(format!("unshare the mount namespace: {e}")))?;
    view(spec).map_err(ExecError::Setup)
}

fn view(spec: &RunSpec) -> Result<PathBuf, String> {
    // Nothing we mount may propagate back to the host.
    mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .ctx(|| "make / private".into())?;
    let root_path = match &spec.rootfs {
        Rootfs::Dir(dir) => dir.clone(),
        Rootfs::Overlay { lower, upper, work } => {
            let userns = crate::rootless::in_user_namespace();
            overlay::mount_overlay(lower, upper, work, userns, false)?;
            upper.clone()
        }
    };
    let binds: Vec<Mount> = spec
        .mounts
        .iter()
        .filter(|m| matches!(m, Mount::Bind { .. }))
        .cloned()
        .collect();
    mounts::apply(&Root::open(&root_path)?, &binds)?;
    Ok(root_path)
}
