//! Filling a fresh volume from the image (docker's rule): the contents of
//! the image's directory at the mount point, read from the merged view of
//! its layers (whiteouts and opaque dirs honoured) without mounting
//! anything, are copied into the volume with their owners, modes and
//! modification times.

use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use miette::{Result, miette};
use strata_builder::layered::LayeredFs;
use strata_builder::tree::{Tree, join, resolve};

/// Copies the image directory at `target` (absolute, in the container)
/// into `dest`, which must be empty. `layers` lowest first. Returns false
/// when the image has nothing there to copy (no such directory, or an
/// empty one), as podman keeps NeedsCopyUp then.
pub fn copy_up(layers: &[PathBuf], target: &str, dest: &Path) -> Result<bool> {
    let tree = LayeredFs::new(layers.iter().rev().cloned().collect());
    let rel = target.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    let rel = resolve(&tree, rel, true).map_err(|e| miette!("volume at {target}: {e}"))?;
    let Some(node) = tree.lstat(&rel) else {
        return Ok(false);
    };
    if !node.meta.is_dir() {
        return Ok(false);
    }
    let entries = tree
        .entries(&rel)
        .map_err(|e| miette!("read the image's {target}: {e}"))?;
    if entries.is_empty() {
        return Ok(false);
    }
    let fail = |what: &str, p: &Path, e: std::io::Error| {
        miette!(
            "copy the image's {target} into the volume: {what} {}: {e}",
            p.display()
        )
    };
    copy_dir(&tree, &rel, dest).map_err(|(what, p, e)| fail(what, &p, e))?;
    // The volume's root takes the image directory's owner and mode.
    set_owner_mode(dest, &node.meta).map_err(|e| fail("set owner of", dest, e))?;
    Ok(true)
}

type CopyError = (&'static str, PathBuf, std::io::Error);

fn copy_dir(tree: &LayeredFs, rel: &str, dest: &Path) -> Result<(), CopyError> {
    let entries = tree
        .entries(rel)
        .map_err(|e| ("read", dest.to_owned(), e))?;
    for (name, node) in entries {
        let to = dest.join(&name);
        let ft = node.meta.file_type();
        if ft.is_dir() {
            std::fs::create_dir(&to).map_err(|e| ("create", to.clone(), e))?;
            copy_dir(tree, &join(rel, &name), &to)?;
            set_owner_mode(&to, &node.meta).map_err(|e| ("set owner of", to.clone(), e))?;
            set_mtime(&to, &node.meta).map_err(|e| ("set the time of", to.clone(), e))?;
        } else if ft.is_symlink() {
            let link =
                std::fs::read_link(&node.host).map_err(|e| ("read", node.host.clone(), e))?;
            std::os::unix::fs::symlink(&link, &to).map_err(|e| ("create", to.clone(), e))?;
            std::os::unix::fs::lchown(&to, Some(node.meta.uid()), Some(node.meta.gid()))
                .map_err(|e| ("set owner of", to.clone(), e))?;
        } else if ft.is_file() {
            std::fs::copy(&node.host, &to).map_err(|e| ("copy", node.host.clone(), e))?;
            set_owner_mode(&to, &node.meta).map_err(|e| ("set owner of", to.clone(), e))?;
            set_mtime(&to, &node.meta).map_err(|e| ("set the time of", to.clone(), e))?;
        }
        // Device nodes, fifos and sockets are left out: volumes are
        // mounted nodev, and a socket is no content.
    }
    Ok(())
}

/// Owner first: chown clears setuid bits, the mode then restores them.
fn set_owner_mode(path: &Path, meta: &Metadata) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(meta.mode() & 0o7777))
}

fn set_mtime(path: &Path, meta: &Metadata) -> std::io::Result<()> {
    let secs = u64::try_from(meta.mtime()).unwrap_or(0);
    let nanos = u32::try_from(meta.mtime_nsec()).unwrap_or(0);
    let when: SystemTime = UNIX_EPOCH + Duration::new(secs, nanos);
    std::fs::File::open(path)?.set_modified(when)
}
