//! Crash-safe file writes: everything is written under tmp/ on the same
//! filesystem, fsynced, renamed into place, and the directory fsynced, so a
//! reader sees either the old file or the whole new one.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::{IoContext, StoreError};

pub fn write_file(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut tmp = NamedTempFile::new_in(tmp_dir)
        .ctx(|| format!("create temp file in {}", tmp_dir.display()))?;
    tmp.write_all(bytes)
        .ctx(|| format!("write {}", tmp.path().display()))?;
    tmp.as_file()
        .sync_all()
        .ctx(|| format!("fsync {}", tmp.path().display()))?;
    tmp.persist(dest)
        .map_err(|e| e.error)
        .ctx(|| format!("rename into {}", dest.display()))?;
    sync_parent(dest)
}

/// Makes a rename durable: the new directory entry is only on disk once the
/// directory itself is synced.
pub fn sync_parent(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path.parent() {
        File::open(parent)
            .and_then(|d| d.sync_all())
            .ctx(|| format!("fsync {}", parent.display()))?;
    }
    Ok(())
}
