//! Where a tar's entries land. A layer snapshot is one plain directory; an
//! ADD writes into a step's upper directory while paths resolve through
//! the image below it. Both are a [`Root`]: the applier asks it what a
//! path is and where to write, and resolves every path itself, so the
//! rules that keep entries inside the root live in one place.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What a path is in the view entries resolve through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Missing,
    Dir,
    Symlink(PathBuf),
    /// A file, device or anything else that is not a directory.
    Other,
}

pub trait Root {
    /// What `rel` (components under the root) is, not following a final
    /// symlink.
    fn probe(&self, rel: &[OsString]) -> io::Result<Probe>;
    /// Makes `rel` a real directory where entries are written; `existed`
    /// says whether the view already has it (an overlay copies it up).
    /// Its parents went through this call first.
    fn enter_dir(&mut self, rel: &[OsString], existed: bool) -> io::Result<()>;
    /// As [`Root::enter_dir`], for a directory the tar names itself: its
    /// metadata is then the tar's, not what the view below had.
    fn make_dir(&mut self, rel: &[OsString], existed: bool) -> io::Result<()> {
        self.enter_dir(rel, existed)
    }
    /// The host path entries at `rel` are written to.
    fn host(&self, rel: &[OsString]) -> PathBuf;
    /// The host path holding the file at `rel`, and whether it lies where
    /// entries are written (so that a hardlink to it can be made there);
    /// `None` when the view has nothing there.
    fn locate(&self, rel: &[OsString]) -> Option<(PathBuf, bool)>;
}

/// A plain directory: what the view shows is what is written.
pub struct DirRoot {
    dir: PathBuf,
}

impl DirRoot {
    pub fn new(dir: &Path) -> Self {
        DirRoot {
            dir: dir.to_path_buf(),
        }
    }
}

impl Root for DirRoot {
    fn probe(&self, rel: &[OsString]) -> io::Result<Probe> {
        let path = self.host(rel);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => Ok(Probe::Symlink(fs::read_link(&path)?)),
            Ok(m) if m.is_dir() => Ok(Probe::Dir),
            Ok(_) => Ok(Probe::Other),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Probe::Missing),
            Err(e) => Err(e),
        }
    }

    fn enter_dir(&mut self, rel: &[OsString], existed: bool) -> io::Result<()> {
        if existed {
            return Ok(());
        }
        fs::create_dir(self.host(rel))
    }

    fn host(&self, rel: &[OsString]) -> PathBuf {
        let mut p = self.dir.clone();
        p.extend(rel);
        p
    }

    fn locate(&self, rel: &[OsString]) -> Option<(PathBuf, bool)> {
        let path = self.host(rel);
        fs::symlink_metadata(&path).ok().map(|_| (path, true))
    }
}
