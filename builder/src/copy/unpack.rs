//! ADD of a local archive goes through the store's layer applier, the one
//! that pull, import and cache import use: this is the [`Root`] it writes
//! through. Paths resolve in the merged view (the step's upper dir over the
//! image) with the destination directory as the root, as Docker and
//! BuildKit unpack; entries are written into the upper dir, directories of
//! the image below are copied up with their metadata.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use filetime::FileTime;
use strata_store::layer::{ApplyOptions, Probe, Root, apply_onto};

use super::write::{DirMeta, Writer, set_meta};
use super::{CopyError, Owner};
use crate::tree::{Tree, join};

/// Unpacks the archive at `src` (decompressed by its magic bytes) into
/// the resolved destination directory `dest`, owned by `chown` when given
/// (else as the archive says), bounded to `max_size` uncompressed bytes.
pub(super) fn unpack(
    w: &mut Writer<'_>,
    src: &Path,
    dest: &str,
    chown: Option<Owner>,
    max_size: u64,
) -> Result<(), CopyError> {
    let reader = super::archive::open(src).map_err(CopyError::io(src))?;
    let mut root = AddRoot {
        w,
        dest: dest.to_string(),
    };
    apply_onto(
        reader,
        &mut root,
        &ApplyOptions::archive(chown.map(|o| (o.uid, o.gid)), max_size),
    )
    .map_err(|source| CopyError::Archive {
        path: src.to_path_buf(),
        source,
    })?;
    Ok(())
}

struct AddRoot<'a, 'b> {
    w: &'a mut Writer<'b>,
    dest: String,
}

impl AddRoot<'_, '_> {
    fn rel(&self, comps: &[OsString]) -> String {
        comps
            .iter()
            .fold(self.dest.clone(), |acc, c| join(&acc, &c.to_string_lossy()))
    }
}

impl Root for AddRoot<'_, '_> {
    fn probe(&self, comps: &[OsString]) -> io::Result<Probe> {
        let Some(node) = self.w.merged.lstat(&self.rel(comps)) else {
            return Ok(Probe::Missing);
        };
        let ft = node.meta.file_type();
        Ok(if ft.is_symlink() {
            Probe::Symlink(fs::read_link(&node.host)?)
        } else if ft.is_dir() {
            Probe::Dir
        } else {
            Probe::Other
        })
    }

    fn enter_dir(&mut self, comps: &[OsString], existed: bool) -> io::Result<()> {
        let rel = self.rel(comps);
        let host = self.w.host(&rel);
        if fs::symlink_metadata(&host).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        fs::create_dir(&host)?;
        let lower = existed
            .then(|| self.w.lowers.lstat(&rel))
            .flatten()
            .filter(|n| n.meta.is_dir());
        match lower {
            // Copied up: it keeps the image's metadata once written.
            Some(lower) => {
                let m = &lower.meta;
                self.w.dirs.push(DirMeta {
                    path: host,
                    mode: m.mode() & 0o7777,
                    owner: Owner {
                        uid: m.uid(),
                        gid: m.gid(),
                    },
                    mtime: FileTime::from_last_modification_time(m),
                });
            }
            None => set_meta(&host, self.w.parent_owner, Some(0o755), FileTime::now())
                .map_err(|e| io::Error::other(e.to_string()))?,
        }
        Ok(())
    }

    /// The archive's own directory entry: its metadata is the archive's
    /// (as BuildKit applies it over an existing directory), so nothing of
    /// the image's directory is kept for it.
    fn make_dir(&mut self, comps: &[OsString], _existed: bool) -> io::Result<()> {
        let host = self.w.host(&self.rel(comps));
        if fs::symlink_metadata(&host).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        fs::create_dir(&host)
    }

    fn host(&self, comps: &[OsString]) -> PathBuf {
        self.w.host(&self.rel(comps))
    }

    fn locate(&self, comps: &[OsString]) -> Option<(PathBuf, bool)> {
        let rel = self.rel(comps);
        let host = self.w.host(&rel);
        if fs::symlink_metadata(&host).is_ok() {
            return Some((host, true));
        }
        self.w.merged.lstat(&rel).map(|n| (n.host, false))
    }
}
