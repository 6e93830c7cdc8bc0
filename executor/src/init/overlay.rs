//! The overlay root. With the new mount API each lower dir is its own
//! `lowerdir+` parameter, so the layer count is not bounded by mount(2)'s
//! one-page option string (about 35 store snapshot paths); kernels before
//! 6.8 lack `lowerdir+` and get the option string.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MoveMountFlags, fsconfig_create,
    fsconfig_set_flag, fsconfig_set_string, fsmount, fsopen, mount, move_mount,
};

use super::Context;

/// Mounts the overlay on top of `upper` itself: only pid 1's private mount
/// namespace sees it there, and no extra mount point dir is needed.
pub(super) fn mount_overlay(
    lower: &[PathBuf],
    upper: &Path,
    work: &Path,
    userns: bool,
    nodev: bool,
) -> Result<(), String> {
    if lower.is_empty() {
        return Err("an overlay needs at least one lower dir".into());
    }
    match with_fsconfig(lower, upper, work, userns, nodev) {
        Err(Attempt::Unsupported) => with_option_string(lower, upper, work, userns, nodev),
        Err(Attempt::Failed(msg)) => Err(msg),
        Ok(()) => Ok(()),
    }
}

enum Attempt {
    Unsupported,
    Failed(String),
}

fn with_fsconfig(
    lower: &[PathBuf],
    upper: &Path,
    work: &Path,
    userns: bool,
    nodev: bool,
) -> Result<(), Attempt> {
    let failed = |what: String| move |e: Errno| Attempt::Failed(format!("{what}: {e}"));
    let fs = fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC).map_err(|_| Attempt::Unsupported)?;
    // Top-most first, as overlayfs stacks them.
    for (i, dir) in lower.iter().rev().enumerate() {
        match fsconfig_set_string(&fs, "lowerdir+", dir) {
            Err(Errno::INVAL) if i == 0 => return Err(Attempt::Unsupported),
            r => r.map_err(failed(format!("overlay lower dir {}", dir.display())))?,
        }
    }
    fsconfig_set_string(&fs, "upperdir", upper)
        .map_err(failed(format!("overlay upper dir {}", upper.display())))?;
    fsconfig_set_string(&fs, "workdir", work)
        .map_err(failed(format!("overlay work dir {}", work.display())))?;
    if userns {
        // In a user namespace overlayfs cannot use trusted.* xattrs; it
        // writes user.overlay.* opaque/redirect markers instead.
        fsconfig_set_flag(&fs, "userxattr").map_err(failed("overlay userxattr".into()))?;
    }
    fsconfig_create(&fs).map_err(failed("create the overlay".into()))?;
    let attrs = if nodev {
        MountAttrFlags::MOUNT_ATTR_NODEV
    } else {
        MountAttrFlags::empty()
    };
    let mnt = fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs)
        .map_err(failed("mount the overlay".into()))?;
    move_mount(
        &mnt,
        "",
        rustix::fs::CWD,
        upper,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(failed(format!("attach the overlay on {}", upper.display())))
}

fn with_option_string(
    lower: &[PathBuf],
    upper: &Path,
    work: &Path,
    userns: bool,
    nodev: bool,
) -> Result<(), String> {
    let lowers: Vec<String> = lower
        .iter()
        .rev()
        .map(|p| escape(p))
        .collect::<Result<_, _>>()?;
    let mut options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lowers.join(":"),
        escape(upper)?,
        escape(work)?
    );
    if userns {
        options.push_str(",userxattr");
    }
    let data = CString::new(options).map_err(|e| e.to_string())?;
    mount(
        "overlay",
        upper,
        "overlay",
        if nodev {
            MountFlags::NODEV
        } else {
            MountFlags::empty()
        },
        Some(data.as_c_str()),
    )
    .ctx(|| format!("mount overlay on {}", upper.display()))
}

/// overlayfs splits its options on `,` and lower dirs on `:`; escape them.
fn escape(path: &Path) -> Result<String, String> {
    let s = path
        .to_str()
        .ok_or_else(|| format!("{}: not UTF-8", path.display()))?;
    Ok(s.replace('\\', "\\\\")
        .replace(':', "\\:")
        .replace(',', "\\,"))
}
