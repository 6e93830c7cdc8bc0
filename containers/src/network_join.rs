//! `--network container:NAME`: each start of the container joins the
//! network namespace of another, running, container (through its init's
//! /proc/PID/ns/net, which holds whatever network that one has: a bridge
//! attachment, pasta or loopback only) and sees that container's
//! /etc/hosts and /etc/resolv.conf, as docker's container network mode.

use std::path::{Path, PathBuf};

use strata_executor::{Mount, Network, Rootfs, RunSpec};

use crate::container::Container;
use crate::error::ContainerError;

/// Points `spec` at the namespace of container `target` (an id).
pub fn join(spec: &mut RunSpec, store_root: &Path, target: &str) -> Result<(), ContainerError> {
    let dir = store_root.join("containers").join(target);
    if !dir.is_dir() {
        return Err(ContainerError::NotFound(target.to_owned()));
    }
    let other = Container::load(dir)?;
    let state = other.refresh()?;
    let init = match (state.status.is_active(), &state.init) {
        (true, Some(init)) if init.is_alive() => init.pid,
        _ => return Err(ContainerError::NotRunning(other.config.name.clone())),
    };
    spec.network = Network::Namespace(PathBuf::from(format!("/proc/{init}/ns/net")));
    // The files of its attachment, when it has one; with host or none it
    // has none, and the image's own files stay.
    if strata_network::Attachment::find(store_root, target).is_none() {
        return Ok(());
    }
    let files = strata_network::Attachment::dir_of(store_root, target);
    if let Rootfs::Overlay { lower, .. } = &mut spec.rootfs {
        lower.push(files.join("init"));
    }
    for (name, at) in [("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf")] {
        spec.mounts.push(Mount::Bind {
            source: files.join(name),
            target: PathBuf::from(at),
            readonly: true,
            options: Default::default(),
        });
    }
    Ok(())
}
