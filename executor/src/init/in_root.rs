//! Paths inside the image resolved as the process would see them: a
//! symlink in the image can never lead a mount or a mkdir out to the host.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags, mkdirat, openat, openat2};
use rustix::io::Errno;

/// What to create when a path is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Dir,
    File,
}

/// The image's root directory, opened once.
pub(super) struct Root {
    fd: OwnedFd,
}

impl Root {
    pub(super) fn open(path: &Path) -> Result<Self, String> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("open rootfs {}: {e}", path.display()))?;
        Ok(Self { fd })
    }

    pub(super) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Opens `rel` (absolute or relative to the image root) as an O_PATH fd;
    /// `None` when it does not exist.
    pub(super) fn lookup(&self, rel: &Path) -> Result<Option<Target>, String> {
        match openat2(
            &self.fd,
            relative(rel),
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT,
        ) {
            Ok(fd) => Ok(Some(Target { fd })),
            // A parent that is not a directory (an image whose /etc is a
            // file) hides the path as surely as a missing one.
            Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
            Err(e) => Err(format!("resolve {} in the image: {e}", rel.display())),
        }
    }

    /// Opens `rel`, creating it (and its parents) as `kind` when missing.
    pub(super) fn ensure(&self, rel: &Path, kind: Kind) -> Result<Target, String> {
        if let Some(t) = self.lookup(rel)? {
            return Ok(t);
        }
        let rel = relative(rel);
        let (parent, name) = match (rel.parent(), rel.file_name()) {
            (Some(p), Some(n)) => (p, n),
            _ => return Err(format!("cannot create {}", rel.display())),
        };
        let parent = if parent.as_os_str().is_empty() {
            Target {
                fd: rustix::io::dup(&self.fd).map_err(|e| e.to_string())?,
            }
        } else {
            self.ensure(parent, Kind::Dir)?
        };
        let created = match kind {
            Kind::Dir => mkdirat(parent.fd.as_fd(), name, Mode::from_raw_mode(0o755)),
            Kind::File => openat(
                parent.fd.as_fd(),
                name,
                OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                Mode::from_raw_mode(0o644),
            )
            .map(drop),
        };
        match created {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(format!("create {} in the image: {e}", rel.display())),
        }
        self.lookup(rel)?
            .ok_or_else(|| format!("{} vanished after creation", rel.display()))
    }
}

/// An opened path inside the image, usable as a mount source or target.
pub(super) struct Target {
    fd: OwnedFd,
}

impl Target {
    /// A path the kernel resolves to exactly this file, for mount(2).
    pub(super) fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// The O_PATH fd, as the dirfd of an `*at` call.
    pub(super) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    pub(super) fn is_dir(&self) -> bool {
        rustix::fs::fstat(&self.fd).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
        })
    }
}

fn relative(path: &Path) -> &Path {
    let rel = path.strip_prefix("/").unwrap_or(path);
    if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    }
}

/// Rejects `..` in user-given container paths, which Docker refuses too.
pub(super) fn check_container_path(path: &Path) -> Result<(), String> {
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(format!(
            "{}: `..` is not allowed in a container path",
            path.display()
        ));
    }
    Ok(())
}
