//! CDI edits onto a sandbox spec, as the cdi package edits an OCI spec
//! (pkg/cdi/container-edits.go): an env entry replaces one of the same
//! name, a bind replaces a mount at the same target, a device node
//! replaces one at the same path and is owned by the process's user when
//! that is not root and the spec names no owner. Shared by `RUN --device`
//! and `strata run/create --device VENDOR/CLASS=NAME`.

use std::path::PathBuf;

use strata_cdi::{Edits, MountOptions};
use strata_executor::{
    BindOptions, DeviceAccess, DeviceKind, DeviceNode, Mount, Propagation, RunSpec,
};

pub fn apply(edits: &Edits, spec: &mut RunSpec) -> Result<(), String> {
    for e in &edits.env {
        let name = env_name(e);
        spec.env.retain(|old| env_name(old) != name);
        spec.env.push(e.clone());
    }
    for m in &edits.mounts {
        if let Some(kind) = m.kind.as_deref().filter(|k| *k != "bind") {
            return Err(format!(
                "CDI mount {} of type {kind}: only bind mounts are supported",
                m.container_path.display()
            ));
        }
        let target = m.container_path.clone();
        spec.mounts.retain(|old| mount_target(old) != &target);
        spec.mounts.push(Mount::Bind {
            source: m.host_path.clone(),
            target,
            readonly: m.flags.readonly,
            options: bind_options(&m.flags)?,
        });
    }
    for n in &edits.device_nodes {
        let fail = |why: &str| format!("CDI device node {}: {why}", n.path.display());
        let kind = match n.kind {
            'c' | 'u' => DeviceKind::Char,
            'b' => DeviceKind::Block,
            _ => return Err(fail("only character and block devices are supported")),
        };
        let number = |v: i64| u32::try_from(v).map_err(|_| fail("device number out of range"));
        let access: DeviceAccess = n.access.parse().map_err(|e| fail(&format!("{e}")))?;
        let node = DeviceNode {
            path: n.path.to_string_lossy().into_owned(),
            host_path: n.host_path.clone(),
            kind,
            major: number(n.major)?,
            minor: number(n.minor)?,
            access,
            file_mode: n.file_mode,
            uid: n.uid.or((spec.user.uid > 0).then_some(spec.user.uid)),
            gid: n.gid.or((spec.user.gid > 0).then_some(spec.user.gid)),
        };
        spec.devices.retain(|old| old.path != node.path);
        spec.devices.push(node);
    }
    for g in &edits.additional_gids {
        if !spec.user.additional_gids.contains(g) {
            spec.user.additional_gids.push(*g);
        }
    }
    Ok(())
}

fn bind_options(o: &MountOptions) -> Result<BindOptions, String> {
    let propagation = match o.propagation.as_deref() {
        None => None,
        Some(word) => Some(
            Propagation::from_option(word)
                .ok_or_else(|| format!("CDI mount propagation {word:?} is not supported"))?,
        ),
    };
    Ok(BindOptions {
        nosuid: o.nosuid,
        nodev: o.nodev,
        noexec: o.noexec,
        recursive: o.recursive,
        propagation,
    })
}

fn env_name(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(n, _)| n)
}

fn mount_target(m: &Mount) -> &PathBuf {
    match m {
        Mount::Bind { target, .. } | Mount::Tmpfs { target, .. } => target,
    }
}
