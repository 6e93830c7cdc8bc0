//! `system gc`: delete blobs and snapshots nothing names or pins, and
//! leftovers in tmp/. Runs under the exclusive store lock, so builds and
//! imports (which hold the shared lock) never lose content mid-flight.

use std::fs;
use std::time::Duration;

use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::snapshot::SnapshotId;
use crate::store::Store;

/// How old a tmp/ entry must be before gc removes it: short writes that
/// take no store lock stage there too, and must not lose their file.
pub const TMP_GRACE: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    pub blobs_removed: usize,
    pub snapshots_removed: usize,
    pub bytes_freed: u64,
}

impl Store {
    pub fn gc(&self) -> Result<GcReport, StoreError> {
        let _lock = self.lock()?;
        let live = self.live_set()?;
        if !live.problems.is_empty() {
            // Deleting with a broken root could remove what it still needs.
            return Err(StoreError::malformed(
                "store (run `strata system fsck`)",
                live.problems.join("; "),
            ));
        }
        let mut report = GcReport::default();
        let blobs = self.blobs_dir();
        for entry in fs::read_dir(&blobs).ctx(|| format!("read {}", blobs.display()))? {
            let entry = entry.ctx(|| format!("read {}", blobs.display()))?;
            let keep = entry
                .file_name()
                .to_str()
                .and_then(|n| Digest::from_hex(n).ok())
                .is_some_and(|d| live.blobs.contains(&d));
            if !keep {
                let size = entry.metadata().map_or(0, |m| m.len());
                fs::remove_file(entry.path())
                    .ctx(|| format!("remove {}", entry.path().display()))?;
                report.blobs_removed += 1;
                report.bytes_freed += size;
            }
        }
        for id in self.snapshot_ids()? {
            if !live.snapshots.contains(&id) {
                report.bytes_freed += self.remove_snapshot(&id)?;
                report.snapshots_removed += 1;
            }
        }
        // After the blobs: a memo whose blob just went is stale now.
        self.drop_stale_memos()?;
        let tmp = self.tmp_dir();
        for entry in fs::read_dir(&tmp).ctx(|| format!("read {}", tmp.display()))? {
            let path = entry.ctx(|| format!("read {}", tmp.display()))?.path();
            if !is_recent(&path) {
                report.bytes_freed += tree_size(&path);
                remove_tree(&path)?;
            }
        }
        Ok(report)
    }

    /// Moves the snapshot out of snapshots/ first (atomic), then deletes it:
    /// a crash mid-delete leaves garbage in tmp/, never half a snapshot.
    fn remove_snapshot(&self, id: &SnapshotId) -> Result<u64, StoreError> {
        let src = self.snapshots_dir().join(id.as_str());
        let size = tree_size(&src);
        let doomed = self.tempdir()?;
        let dest = doomed.path().join("doomed");
        fs::rename(&src, &dest).ctx(|| format!("move {} out", src.display()))?;
        remove_tree(&dest)?;
        Ok(size)
    }
}

/// A tmp/ entry younger than [`TMP_GRACE`]: gc leaves it alone.
pub(crate) fn is_recent(path: &std::path::Path) -> bool {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < TMP_GRACE))
}

pub(crate) fn tree_size(path: &std::path::Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

fn remove_tree(path: &std::path::Path) -> Result<(), StoreError> {
    let meta = fs::symlink_metadata(path).ctx(|| format!("stat {}", path.display()))?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .ctx(|| format!("remove {}", path.display()))
}
