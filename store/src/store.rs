//! `Store`: the root directory, its layout, and where things live in it.
//!
//! ```text
//! ROOT/oci-layout, index.json, blobs/sha256/   an OCI image layout (umoci, skopeo read it)
//! ROOT/snapshots/<id>/fs, meta.json            unpacked layers: overlay lower dirs
//! ROOT/cache/                                  build cache records (may pin snapshots, blobs)
//! ROOT/cache/compressed/<hex>.json             compressed variants of uncompressed layer blobs
//! ROOT/tmp/                                    staging: written here, renamed into place
//! ROOT/lock, ROOT/index.lock                   store-wide lock (gc), index.json lock
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::atomic;
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::lock::{LockKind, StoreLock};

const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    /// `--max-layer-size`; `None`: [`Store::max_layer_size`]'s default.
    max_layer_size: Option<u64>,
}

impl Store {
    /// Opens the store at `root`, creating the layout if it is missing.
    /// The root is made absolute and canonical: snapshot paths handed out
    /// become overlay mount options and must not depend on the cwd.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(root).ctx(|| format!("create {}", root.display()))?;
        let store = Store {
            root: fs::canonicalize(root).ctx(|| format!("resolve {}", root.display()))?,
            max_layer_size: None,
        };
        for dir in [
            store.blobs_dir(),
            store.snapshots_dir(),
            store.cache_dir(),
            store.tmp_dir(),
        ] {
            fs::create_dir_all(&dir).ctx(|| format!("create {}", dir.display()))?;
        }
        let layout = store.root.join("oci-layout");
        if !layout.exists() {
            atomic::write_file(&store.tmp_dir(), &layout, OCI_LAYOUT)?;
        }
        if !store.index_path().exists() {
            let _guard = store.index_lock()?;
            if !store.index_path().exists() {
                crate::index::write(&store, &[])?;
            }
        }
        Ok(store)
    }

    /// Bounds the uncompressed size of every layer and archive unpacked
    /// through this handle (`--max-layer-size`).
    pub fn set_max_layer_size(&mut self, limit: Option<u64>) {
        self.max_layer_size = limit;
    }

    /// The most a layer may expand to: the limit set, else 100 GiB or the
    /// free space of the store's filesystem, whichever is smaller (a layer
    /// that cannot fit would fail anyway, after filling the disk).
    pub fn max_layer_size(&self) -> u64 {
        if let Some(limit) = self.max_layer_size {
            return limit;
        }
        let free = crate::fs_space::available_bytes(&self.root).unwrap_or(u64::MAX);
        free.min(crate::layer::DEFAULT_MAX_LAYER_SIZE)
    }

    /// How layers are applied into snapshots, bounded by this store's limit.
    pub(crate) fn apply_options(&self) -> crate::layer::ApplyOptions {
        crate::layer::ApplyOptions {
            max_size: self.max_layer_size(),
            ..crate::layer::ApplyOptions::default()
        }
    }

    /// `/var/lib/strata` as root, `$XDG_DATA_HOME/strata` (or
    /// `~/.local/share/strata`) otherwise.
    pub fn default_root() -> PathBuf {
        if rustix::process::geteuid().is_root() {
            return PathBuf::from("/var/lib/strata");
        }
        match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(d) => PathBuf::from(d).join("strata"),
            None => match std::env::var_os("HOME") {
                Some(h) => PathBuf::from(h).join(".local/share/strata"),
                None => PathBuf::from(".strata"),
            },
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A fresh directory under tmp/, on the store's filesystem so it can be
    /// renamed into snapshots/ in O(1). Removed on drop unless kept.
    pub fn tempdir(&self) -> Result<TempDir, StoreError> {
        tempfile::Builder::new()
            .prefix("d-")
            .tempdir_in(self.tmp_dir())
            .ctx(|| format!("create temp dir in {}", self.tmp_dir().display()))
    }

    /// Exclusive store-wide lock: gc takes it; take it for multi-step
    /// updates that must not interleave with gc.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        StoreLock::acquire(&self.root.join("lock"), LockKind::Exclusive)
    }

    /// Shared store-wide lock: hold it while creating content nothing names
    /// yet (a build in progress) so gc does not collect it under you.
    pub fn lock_shared(&self) -> Result<StoreLock, StoreError> {
        StoreLock::acquire(&self.root.join("lock"), LockKind::Shared)
    }

    pub(crate) fn index_lock(&self) -> Result<StoreLock, StoreError> {
        StoreLock::acquire(&self.root.join("index.lock"), LockKind::Exclusive)
    }

    pub(crate) fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }
    pub(crate) fn snapshots_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }
    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
    pub(crate) fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest.hex())
    }

    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }
}
