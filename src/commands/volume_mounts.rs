//! `-v NAME:/path[:ro]`, `-v /path` and the image's VOLUME: the volumes a
//! container gets, made on first use and filled from the image while
//! empty, bound into the spec as bind mounts with the flags `-v` asked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{Result, miette};
use strata_containers::{Volume, Volumes};
use strata_executor::{BindOptions, Mount, RunSpec};
use strata_store::{Image, Store};

use super::containers::report;
use crate::cli::{VolumeArg, parse_volume_arg as parse};

/// Whether any `-v` needs the store (named or anonymous volumes).
pub fn any_volume(args: &[String]) -> bool {
    args.iter()
        .any(|a| !matches!(parse(a), Ok(VolumeArg::Host { .. }) | Err(_)))
}

/// Adds the volumes of `-v` and of the image's VOLUME list to `spec`.
/// `layers` are the image's, lowest first (to fill fresh volumes from).
pub fn attach(
    store: &Store,
    image: &Image,
    layers: &[PathBuf],
    args: &[String],
    spec: &mut RunSpec,
) -> Result<()> {
    let mut wanted = Vec::new();
    for a in args {
        match parse(a).map_err(|e| miette!("-v/--volume {e}"))? {
            VolumeArg::Host { .. } => {}
            VolumeArg::Named {
                name,
                target,
                readonly,
                options,
            } => wanted.push((Some(name), target, readonly, options)),
            VolumeArg::Anonymous { target } => {
                wanted.push((None, target, false, BindOptions::default()))
            }
        }
    }
    let image_volumes = image
        .config
        .config()
        .as_ref()
        .and_then(|c| c.volumes().clone())
        .unwrap_or_default();
    for target in image_volumes {
        // A -v (of any kind) over the same path replaces the image's volume.
        let covered = |t: &str| same_path(t, &target);
        let by_flag = args.iter().any(|a| match parse(a) {
            Ok(
                VolumeArg::Host { target: t, .. }
                | VolumeArg::Named { target: t, .. }
                | VolumeArg::Anonymous { target: t },
            ) => covered(&t),
            Err(_) => false,
        });
        if !by_flag {
            wanted.push((None, target, false, BindOptions::default()));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let volumes = Volumes::open(store).map_err(report)?;
    // One at a time: two containers made at once with a new volume must
    // not both create or fill it.
    let _lock = volumes.lock().map_err(report)?;
    for (name, target, readonly, options) in wanted {
        let volume = match name.as_deref().map(|n| volumes.get(n)).transpose() {
            Ok(Some(Some(v))) => v,
            Ok(_) => volumes
                .create(name.as_deref(), BTreeMap::new())
                .map_err(report)?,
            Err(e) => return Err(report(e)),
        };
        fill(&volumes, &volume, layers, &target)?;
        spec.mounts.push(Mount::Bind {
            source: volume.mountpoint.clone(),
            target: PathBuf::from(&target),
            readonly,
            options,
        });
    }
    Ok(())
}

/// Copies the image's content at `target` into a volume that still
/// needs it and is empty.
fn fill(volumes: &Volumes, volume: &Volume, layers: &[PathBuf], target: &str) -> Result<()> {
    if !volume.needs_copy_up {
        return Ok(());
    }
    if !is_empty(&volume.mountpoint)? {
        // Written before any image had something to give it: it stays as it is.
        return volumes.mark_filled(volume).map_err(report);
    }
    if super::volume_copy_up::copy_up(layers, target, &volume.mountpoint)? {
        volumes.mark_filled(volume).map_err(report)?;
    }
    Ok(())
}

fn is_empty(dir: &Path) -> Result<bool> {
    let mut rd = std::fs::read_dir(dir).map_err(|e| miette!("read {}: {e}", dir.display()))?;
    Ok(rd.next().is_none())
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}
