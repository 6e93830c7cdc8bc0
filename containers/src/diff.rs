//! `diff`: what a container changed, read from its upper dir alone (no
//! walk of the image): A added, C changed, D deleted, as docker prints.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::container::Container;
use crate::error::{ContainerError, IoContext};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Changed,
    Deleted,
}

impl Change {
    pub fn letter(self) -> char {
        match self {
            Self::Added => 'A',
            Self::Changed => 'C',
            Self::Deleted => 'D',
        }
    }
}

/// Every change, sorted by path.
pub fn diff(c: &Container) -> Result<Vec<(Change, String)>, ContainerError> {
    let lower = match &c.config.spec.rootfs {
        strata_executor::Rootfs::Overlay { lower, .. } => lower.clone(),
        strata_executor::Rootfs::Dir(_) => Vec::new(),
    };
    let upper = c.upper();
    let in_lower = |rel: &Path| lower.iter().any(|l| l.join(rel).symlink_metadata().is_ok());
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&upper)
        .min_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| ContainerError::Io {
            what: "walk",
            path: upper.clone(),
            source: e.into(),
        })?;
        let rel = entry
            .path()
            .strip_prefix(&upper)
            .unwrap_or(entry.path())
            .to_owned();
        let meta = entry.path().symlink_metadata().ctx("stat", entry.path())?;
        // overlayfs records a deletion as a 0/0 character device.
        let change = if meta.file_type().is_char_device() && meta.rdev() == 0 {
            Change::Deleted
        } else if in_lower(&rel) {
            Change::Changed
        } else {
            Change::Added
        };
        out.push((change, format!("/{}", rel.display())));
    }
    Ok(out)
}
