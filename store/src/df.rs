//! `system df`: what the store holds and how much space it takes.

use std::fs;

use crate::error::StoreError;
use crate::gc::{is_recent, tree_size};
use crate::store::Store;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DiskUsage {
    pub images: usize,
    pub blobs: usize,
    pub blob_bytes: u64,
    pub snapshots: usize,
    pub snapshot_bytes: u64,
    pub cache_bytes: u64,
    pub tmp_bytes: u64,
    /// The part of `tmp_bytes` younger than [`crate::TMP_GRACE`]: leftovers
    /// of builds killed in the last minutes, which gc keeps until then.
    pub tmp_recent_bytes: u64,
    /// What `gc` would free now.
    pub reclaimable_bytes: u64,
}

impl Store {
    pub fn disk_usage(&self) -> Result<DiskUsage, StoreError> {
        let live = self.live_set()?;
        let mut du = DiskUsage {
            images: self.names()?.len(),
            ..DiskUsage::default()
        };
        for e in fs::read_dir(self.blobs_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let size = e.metadata().map_or(0, |m| m.len());
            du.blobs += 1;
            du.blob_bytes += size;
            let live_blob = e
                .file_name()
                .to_str()
                .and_then(|n| crate::digest::Digest::from_hex(n).ok())
                .is_some_and(|d| live.blobs.contains(&d));
            if !live_blob {
                du.reclaimable_bytes += size;
            }
        }
        for id in self.snapshot_ids()? {
            let size = tree_size(&self.snapshots_dir().join(id.as_str()));
            du.snapshots += 1;
            du.snapshot_bytes += size;
            if !live.snapshots.contains(&id) {
                du.reclaimable_bytes += size;
            }
        }
        du.cache_bytes = tree_size(&self.cache_dir());
        for e in fs::read_dir(self.tmp_dir()).into_iter().flatten().flatten() {
            let size = tree_size(&e.path());
            du.tmp_bytes += size;
            if is_recent(&e.path()) {
                du.tmp_recent_bytes += size;
            } else {
                du.reclaimable_bytes += size;
            }
        }
        Ok(du)
    }
}
