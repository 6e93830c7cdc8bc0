//! What each cache entry costs on disk and whether an image still needs it:
//! the one view `cache ls`, `cache du` and prune all work from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;
use strata_store::{Digest, SnapshotId, Store};

use super::git_checkouts::{self, CheckoutEntry};
use super::mounts::{self, MountEntry};
use super::record::{CacheDir, CacheRecord, RecordError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A step's record (and its snapshot and layer blobs).
    Step,
    /// A `RUN --mount=type=cache` directory.
    Mount,
    /// A git commit checked out for `ADD` or a git context (`cache/git/`).
    GitCheckout,
}

/// One row of `cache ls`.
#[derive(Debug, Clone, Serialize)]
pub struct CacheEntry {
    /// The record's key (hex), the mount directory's name or the commit.
    pub id: String,
    pub kind: EntryKind,
    /// `[stage] INSTRUCTION` for steps, `cache mount ID` for mounts,
    /// `git checkout REMOTE` for checkouts.
    pub description: String,
    pub dockerfile: String,
    /// Bytes on disk: the snapshot plus the layer blobs no image uses and
    /// no other record shares (the directory for mounts).
    pub size: u64,
    /// An image in the store uses this step's layer: removing the record
    /// frees nothing, so prune keeps it unless told `--all`.
    pub in_use: bool,
    /// Some of the content is also held by another record or an image.
    pub shared: bool,
    pub created: u64,
    pub last_used: u64,
    pub use_count: u64,
}

impl CacheEntry {
    /// Bytes removing this entry would give back.
    pub fn reclaimable(&self) -> u64 {
        if self.in_use { 0 } else { self.size }
    }
}

/// Layer blobs and snapshots the named images of the store use.
#[derive(Debug, Default)]
pub struct ImageUse {
    pub blobs: BTreeSet<Digest>,
    pub diff_ids: BTreeSet<Digest>,
}

impl ImageUse {
    pub fn of(store: &Store) -> Result<ImageUse, strata_store::StoreError> {
        let mut out = ImageUse::default();
        for named in store.names()? {
            // An image we cannot read protects nothing here; fsck reports it.
            let Ok(image) = store.image(&named.manifest_digest) else {
                continue;
            };
            out.blobs.extend(
                image
                    .manifest
                    .layers()
                    .iter()
                    .filter_map(|l| Digest::from_oci(l.digest()).ok()),
            );
            out.diff_ids.extend(image.diff_ids().unwrap_or_default());
        }
        Ok(out)
    }

    fn uses(&self, rec: &CacheRecord) -> bool {
        rec.layers
            .values()
            .any(|l| self.blobs.contains(&l.digest) || self.diff_ids.contains(&l.diff_id))
    }
}

/// Every step record, cache mount and git checkout, with sizes.
pub fn entries(cache: &CacheDir) -> Result<Vec<CacheEntry>, RecordError> {
    let store = cache.store();
    let images = ImageUse::of(store).map_err(|e| RecordError::Io {
        path: store.root().join("index.json"),
        source: std::io::Error::other(e),
    })?;
    let records = cache.list()?;
    let mut blob_users: BTreeMap<Digest, usize> = BTreeMap::new();
    for r in &records {
        for l in r.layers.values() {
            *blob_users.entry(l.digest).or_default() += 1;
        }
    }
    let mut out: Vec<CacheEntry> = records
        .iter()
        .map(|r| step_entry(store, r, &images, &blob_users))
        .collect();
    out.extend(mounts::list(store)?.into_iter().map(mount_entry));
    out.extend(git_checkouts::list(store)?.into_iter().map(checkout_entry));
    Ok(out)
}

fn step_entry(
    store: &Store,
    r: &CacheRecord,
    images: &ImageUse,
    blob_users: &BTreeMap<Digest, usize>,
) -> CacheEntry {
    let in_use = images.uses(r);
    let snapshot = match (&r.snapshot, r.snapshot_size) {
        (None, _) => 0,
        (Some(_), Some(size)) => size,
        // Records from before sizes were kept: measure once more.
        (Some(id), None) => SnapshotId::new(id)
            .ok()
            .and_then(|id| store.snapshot_dir(&id))
            .map_or(0, |d| tree_size(&d)),
    };
    let mut shared = in_use;
    let mut blobs = 0;
    for l in r.layers.values() {
        let others = blob_users.get(&l.digest).copied().unwrap_or(0) > 1;
        shared |= others || images.blobs.contains(&l.digest);
        if !others {
            blobs += l.size;
        }
    }
    CacheEntry {
        id: r.key.hex(),
        kind: EntryKind::Step,
        description: format!("[{}] {}", r.origin.stage, r.origin.text),
        dockerfile: r.origin.dockerfile.clone(),
        size: snapshot + blobs,
        in_use,
        shared,
        created: r.created,
        last_used: r.last_used,
        use_count: r.use_count,
    }
}

fn mount_entry(m: MountEntry) -> CacheEntry {
    CacheEntry {
        id: m.name,
        kind: EntryKind::Mount,
        description: format!("cache mount {} (sharing={})", m.meta.id, m.meta.sharing),
        dockerfile: String::new(),
        size: tree_size(&m.dir),
        in_use: false,
        shared: false,
        created: m.meta.created,
        last_used: m.meta.last_used,
        use_count: m.meta.use_count,
    }
}

/// A checkout from before its metadata was kept counts as made and used
/// when its directory was last changed.
fn checkout_entry(c: CheckoutEntry) -> CacheEntry {
    let changed = || {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&c.dir).map_or(0, |m| m.mtime().max(0) as u64)
    };
    let (remote, created, last_used, use_count) = match &c.meta {
        Some(m) => (m.remote.as_str(), m.created, m.last_used, m.use_count),
        None => ("(remote unknown)", changed(), changed(), 0),
    };
    CacheEntry {
        description: format!("git checkout {remote}"),
        dockerfile: String::new(),
        size: c
            .meta
            .as_ref()
            .and_then(|m| m.size)
            .unwrap_or_else(|| tree_size(&c.dir)),
        kind: EntryKind::GitCheckout,
        id: c.commit,
        in_use: false,
        shared: false,
        created,
        last_used,
        use_count,
    }
}

/// Bytes of regular files under `path` (hard links counted once).
pub fn tree_size(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = BTreeSet::new();
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file() && (m.nlink() == 1 || seen.insert((m.dev(), m.ino()))))
        .map(|m| m.len())
        .sum()
}

/// `cache du`: totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub entries: usize,
    pub total: u64,
    pub reclaimable: u64,
    pub in_use: u64,
}

pub fn totals(entries: &[CacheEntry]) -> Totals {
    let total: u64 = entries.iter().map(|e| e.size).sum();
    let reclaimable: u64 = entries.iter().map(CacheEntry::reclaimable).sum();
    Totals {
        entries: entries.len(),
        total,
        reclaimable,
        in_use: total - reclaimable,
    }
}
