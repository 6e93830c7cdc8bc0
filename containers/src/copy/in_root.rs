//! A root directory under which every path resolves as a chroot would
//! resolve it: `..` stops at the root and an absolute symlink starts over
//! from it (openat2 RESOLVE_IN_ROOT), so nothing leads out to the host.

use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags, openat2};
use rustix::io::Errno;

use super::error::{CopyError, IoAt};

pub struct InRoot {
    fd: OwnedFd,
    path: PathBuf,
}

impl InRoot {
    pub fn open(path: &Path) -> Result<Self, CopyError> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .at(path)?;
        Ok(Self {
            fd,
            path: path.to_owned(),
        })
    }

    /// Opens `path` (absolute or not, always taken from the root) with
    /// `flags`; `follow`: whether a symlink as its last part is followed.
    /// `None` when it does not exist.
    pub fn open_at(
        &self,
        path: &Path,
        flags: OFlags,
        follow: bool,
    ) -> Result<Option<OwnedFd>, CopyError> {
        open_in(&self.fd, &relative(path), flags, follow).at(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `rel` opened under `dir` taken as a root.
pub(super) fn open_in(
    dir: &OwnedFd,
    rel: &Path,
    flags: OFlags,
    follow: bool,
) -> Result<Option<OwnedFd>, Errno> {
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    // openat2 refuses O_PATH with any flag but these (EINVAL).
    let mut flags = if flags.contains(OFlags::PATH) {
        flags | OFlags::CLOEXEC
    } else {
        flags | OFlags::CLOEXEC | OFlags::NOCTTY
    };
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    match openat2(dir, rel, flags, Mode::empty(), ResolveFlags::IN_ROOT) {
        Ok(fd) => Ok(Some(fd)),
        // A parent that is a file hides the path as surely as a missing one.
        Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The path without its root: what openat2 takes under a root fd.
pub(super) fn relative(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .collect()
}
