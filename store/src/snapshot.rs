//! Snapshots: unpacked layer directories used as overlay lower dirs.
//! `snapshots/<id>/fs` is the tree (overlay whiteouts as 0/0 char devices,
//! opaque dirs marked by xattr); `snapshots/<id>/meta.json` records its
//! diff_id and the blobs already made from it, so a snapshot becomes a layer
//! only once.
//!
//! Durability: a step's snapshot is committed without waiting for its files
//! to reach the disk (a syncfs per step cost more than many steps). Its
//! meta.json names the boot it was written in; [`Store::sync_snapshots`]
//! (one syncfs at the end of a build) then leaves a `durable` mark beside
//! it. A snapshot from another boot without that mark may have lost file
//! data in a crash, so it counts as absent and is made again. Within one
//! boot the page cache is the truth, so a killed build loses nothing.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::canonical;
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::store::Store;

/// A caller-chosen snapshot name: `[A-Za-z0-9._-]{1,128}`, not starting
/// with a dot (so it is always one safe path component).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnapshotId(String);

impl SnapshotId {
    pub fn new(id: &str) -> Result<SnapshotId, StoreError> {
        let ok = !id.is_empty()
            && id.len() <= 128
            && !id.starts_with('.')
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if ok {
            Ok(SnapshotId(id.to_owned()))
        } else {
            Err(StoreError::InvalidSnapshotId(id.to_owned()))
        }
    }

    /// The snapshot an image layer is unpacked into.
    pub fn for_layer(diff_id: &Digest) -> SnapshotId {
        SnapshotId(format!("layer-{}", diff_id.hex()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SnapshotId {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SnapshotId::new(&s)
    }
}

impl From<SnapshotId> for String {
    fn from(id: SnapshotId) -> String {
        id.0
    }
}

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A blob already made from a snapshot with given layer options.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlobRecord {
    pub compression: String,
    pub source_date_epoch: Option<u64>,
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// sha256 of the uncompressed layer tar, once known.
    pub diff_id: Option<Digest>,
    #[serde(default)]
    pub blobs: Vec<BlobRecord>,
    /// The boot (kernel boot_id) the tree was written in, when it was
    /// committed before its data was known to be on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_in_boot: Option<String>,
}

/// The marker [`Store::sync_snapshots`] leaves once a tree is on disk.
const DURABLE: &str = "durable";

/// This boot's id; a crash that can lose page-cache data changes it.
fn boot_id() -> Option<&'static str> {
    static BOOT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BOOT.get_or_init(|| {
        fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    })
    .as_deref()
}

impl Store {
    fn snapshot_root(&self, id: &SnapshotId) -> PathBuf {
        self.snapshots_dir().join(id.as_str())
    }

    /// The committed tree of a snapshot, if it exists and can be trusted
    /// (see the module docs on durability).
    pub fn snapshot_dir(&self, id: &SnapshotId) -> Option<PathBuf> {
        let fs_dir = self.snapshot_root(id).join("fs");
        (fs_dir.is_dir() && self.snapshot_trusted(id)).then_some(fs_dir)
    }

    fn snapshot_trusted(&self, id: &SnapshotId) -> bool {
        let root = self.snapshot_root(id);
        if root.join(DURABLE).exists() {
            return true;
        }
        match self.snapshot_meta(id) {
            Ok(meta) => match meta.written_in_boot {
                None => true,
                Some(boot) => boot_id() == Some(boot.as_str()),
            },
            Err(_) => false,
        }
    }

    /// Commits `upper` as snapshot `id` without waiting for its data to
    /// reach the disk: the cheap commit for build steps. Until
    /// [`Store::sync_snapshots`] marks it, it is trusted in this boot only.
    pub fn commit_snapshot_deferred(
        &self,
        upper: &Path,
        id: &SnapshotId,
    ) -> Result<PathBuf, StoreError> {
        let meta = SnapshotMeta {
            written_in_boot: boot_id().map(str::to_string),
            ..SnapshotMeta::default()
        };
        // Without a boot id there is no telling a crash later: sync now.
        let sync_now = meta.written_in_boot.is_none();
        self.commit_tree(upper, id, &meta, sync_now)
    }

    /// Makes the trees of `ids` durable with one syncfs, then marks them
    /// so a later boot trusts them.
    pub fn sync_snapshots(&self, ids: &[SnapshotId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let dir = fs::File::open(self.snapshots_dir())
            .ctx(|| format!("open {}", self.snapshots_dir().display()))?;
        rustix::fs::syncfs(&dir).ctx(|| format!("syncfs {}", self.root().display()))?;
        for id in ids {
            let root = self.snapshot_root(id);
            if root.is_dir() {
                // Not synced itself: a mark lost in a crash only costs a
                // rebuild of the step, never trust in a lost tree.
                fs::write(root.join(DURABLE), b"")
                    .ctx(|| format!("mark {} durable", root.display()))?;
            }
        }
        Ok(())
    }

    /// Moves `upper` (a dir on the store's filesystem, e.g. from
    /// `tempdir()`) into snapshots/ by rename: O(1), and atomic, since the
    /// snapshot appears whole with its meta.json or not at all. If `id`
    /// already exists, `upper` is left alone and the existing tree returned.
    pub fn commit_snapshot(&self, upper: &Path, id: &SnapshotId) -> Result<PathBuf, StoreError> {
        self.commit_snapshot_with(upper, id, &SnapshotMeta::default())
    }

    pub(crate) fn commit_snapshot_with(
        &self,
        upper: &Path,
        id: &SnapshotId,
        meta: &SnapshotMeta,
    ) -> Result<PathBuf, StoreError> {
        self.commit_tree(upper, id, meta, true)
    }

    fn commit_tree(
        &self,
        upper: &Path,
        id: &SnapshotId,
        meta: &SnapshotMeta,
        sync_now: bool,
    ) -> Result<PathBuf, StoreError> {
        if let Some(existing) = self.snapshot_dir(id) {
            return Ok(existing);
        }
        self.discard_untrusted(id)?;
        let staging = self.tempdir()?;
        let staged_fs = staging.path().join("fs");
        fs::rename(upper, &staged_fs).map_err(|e| StoreError::Io {
            context: format!(
                "move {} into the store (it must be on the same filesystem as {})",
                upper.display(),
                self.root().display()
            ),
            source: e,
        })?;
        // Inside the staging dir nobody sees it half-written; the syncfs
        // below (or the one in sync_snapshots) makes it durable with the tree.
        let meta_path = staging.path().join("meta.json");
        fs::write(&meta_path, canonical::to_vec(meta)?)
            .ctx(|| format!("write {}", meta_path.display()))?;
        if sync_now {
            // Marked up front: it reaches the disk with the tree, and a
            // lookup then trusts the snapshot on one stat, without reading
            // meta.json.
            let mark = staging.path().join(DURABLE);
            fs::write(&mark, b"").ctx(|| format!("write {}", mark.display()))?;
            // The tree's file data must be on disk before its name is: a
            // crash must never leave a committed snapshot (a cache hit) with
            // empty files. One syncfs is far cheaper than an fsync per file.
            let dir = fs::File::open(staging.path())
                .ctx(|| format!("open {}", staging.path().display()))?;
            rustix::fs::syncfs(&dir).ctx(|| format!("syncfs {}", staging.path().display()))?;
        }
        let dest = self.snapshot_root(id);
        match fs::rename(staging.path(), &dest) {
            Ok(()) => {
                // The staging dir now lives at dest: do not let drop remove it.
                let _ = staging.keep();
                if sync_now {
                    atomic::sync_parent(&dest)?;
                }
                Ok(dest.join("fs"))
            }
            Err(e) => {
                // Give the caller's tree back before the staging dir is
                // dropped (and deleted with everything in it).
                fs::rename(&staged_fs, upper).ctx(|| format!("restore {}", upper.display()))?;
                if dest.join("fs").is_dir() {
                    // Another process committed the same id first: use theirs.
                    Ok(dest.join("fs"))
                } else {
                    Err(StoreError::Io {
                        context: format!("rename snapshot into {}", dest.display()),
                        source: e,
                    })
                }
            }
        }
    }

    /// A snapshot dir left from another boot without its durable mark is
    /// moved aside (and deleted) so the same id can be committed again.
    fn discard_untrusted(&self, id: &SnapshotId) -> Result<(), StoreError> {
        let root = self.snapshot_root(id);
        if !root.exists() {
            return Ok(());
        }
        let aside = self.tempdir()?;
        let target = aside.path().join("stale");
        match fs::rename(&root, &target) {
            Ok(()) => Ok(()),
            // Another process moved or replaced it first.
            Err(_) if !root.exists() || self.snapshot_trusted(id) => Ok(()),
            Err(e) => Err(StoreError::Io {
                context: format!("move aside {}", root.display()),
                source: e,
            }),
        }
    }

    pub fn snapshot_meta(&self, id: &SnapshotId) -> Result<SnapshotMeta, StoreError> {
        let path = self.snapshot_root(id).join("meta.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::malformed(path.display().to_string(), e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SnapshotMeta::default()),
            Err(e) => Err(StoreError::Io {
                context: format!("read {}", path.display()),
                source: e,
            }),
        }
    }

    pub fn set_snapshot_meta(
        &self,
        id: &SnapshotId,
        meta: &SnapshotMeta,
    ) -> Result<(), StoreError> {
        let path = self.snapshot_root(id).join("meta.json");
        atomic::write_file(&self.tmp_dir(), &path, &canonical::to_vec(meta)?)
    }

    /// Every committed snapshot id.
    pub fn snapshot_ids(&self) -> Result<Vec<SnapshotId>, StoreError> {
        let dir = self.snapshots_dir();
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).ctx(|| format!("read {}", dir.display()))? {
            let entry = entry.ctx(|| format!("read {}", dir.display()))?;
            if let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| SnapshotId::new(n).ok())
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// If `path` is the tree of a committed snapshot, its id.
    pub(crate) fn snapshot_id_of(&self, path: &Path) -> Option<SnapshotId> {
        let parent = path.parent()?;
        if path.file_name()? != "fs" || parent.parent()? != self.snapshots_dir() {
            return None;
        }
        SnapshotId::new(parent.file_name()?.to_str()?).ok()
    }
}
