//! Cache records: one JSON file per key in the store's `cache/` dir, written
//! to a temporary name and renamed, so a reader never sees half a record.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::key::KeyInputs;
use strata_store::Store;

use strata_store::Digest;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cache record {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cache lock {path}: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cache record {path} is malformed: {source}")]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A snapshot id or blob digest of the record that the store's pins
    /// cannot name (the store would not keep it alive).
    #[error("cache record {path}: {source}")]
    Pin {
        path: PathBuf,
        #[source]
        source: strata_store::StoreError,
    },
}

/// A layer blob written for a record's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    pub digest: Digest,
    pub diff_id: Digest,
    pub size: u64,
    pub media_type: String,
}

/// Where a step came from, for people reading `cache ls`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOrigin {
    pub dockerfile: String,
    pub stage: String,
    pub line: usize,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    pub key: Digest,
    pub inputs: KeyInputs,
    #[serde(default)]
    pub origin: StepOrigin,
    /// The step's snapshot in the store; `None` when the step changed no
    /// file (its layer is empty and omitted from the image).
    pub snapshot: Option<String>,
    /// Bytes of the snapshot's files, measured once when it was made, so
    /// sizing the cache never walks every snapshot again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_size: Option<u64>,
    /// Layer blobs by variant (`gzip`, `zstd:3`, ... plus `@epoch` when
    /// SOURCE_DATE_EPOCH was set), once written.
    #[serde(default)]
    pub layers: BTreeMap<String, LayerRecord>,
    pub created: u64,
    pub last_used: u64,
    pub use_count: u64,
    /// What this record keeps alive in the store (read by the store's gc
    /// and fsck); derived from `snapshot` and `layers` on every write.
    #[serde(default)]
    pub pins: Pins,
}

/// What a record keeps alive: the store's own type, so what the builder
/// writes is what gc and fsck read.
pub use strata_store::Pins;

impl CacheRecord {
    pub fn new(inputs: KeyInputs, origin: StepOrigin, snapshot: Option<String>) -> Self {
        let now = now();
        Self {
            key: inputs.key(),
            inputs,
            origin,
            snapshot,
            snapshot_size: None,
            layers: BTreeMap::new(),
            created: now,
            last_used: now,
            use_count: 1,
            pins: Pins::default(),
        }
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The directory of records, `cache/steps/` in a store. Writes are staged
/// in the store's tmp/ and renamed into place, so a killed writer leaves
/// nothing half-written where readers look.
#[derive(Debug, Clone)]
pub struct CacheDir {
    dir: PathBuf,
    store: Store,
}

impl CacheDir {
    pub fn open(store: &Store) -> Result<Self, RecordError> {
        let dir = store.cache_dir().join("steps");
        std::fs::create_dir_all(&dir).map_err(|source| RecordError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            store: store.clone(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn path(&self, key: &Digest) -> PathBuf {
        self.dir.join(format!("{}.json", key.hex()))
    }

    pub fn get(&self, key: &Digest) -> Result<Option<CacheRecord>, RecordError> {
        let Some(mut rec) = self.get_head(key)? else {
            return Ok(None);
        };
        if rec.inputs.files.is_empty() {
            rec.inputs.files = self.files(key);
        }
        Ok(Some(rec))
    }

    /// The record without the per-entry view of its sources
    /// (`inputs.files`, kept beside it): what a cache hit needs. A COPY of
    /// a large context has tens of thousands of such lines, and reading
    /// them on every hit cost more than the rest of the lookup.
    pub fn get_head(&self, key: &Digest) -> Result<Option<CacheRecord>, RecordError> {
        let path = self.path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(RecordError::Io { path, source }),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| RecordError::Malformed { path, source })
    }

    /// The `inputs.files` of a record kept beside it; empty when there are
    /// none or they cannot be read (they only explain, never decide).
    fn files(&self, key: &Digest) -> BTreeMap<String, String> {
        std::fs::read(self.files_path(key))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn files_path(&self, key: &Digest) -> PathBuf {
        self.dir.join(format!("{}.files", key.hex()))
    }

    /// Finds a record by its key or a unique prefix of the key's hex.
    pub fn find(&self, prefix: &str) -> Result<Option<CacheRecord>, RecordError> {
        let prefix = prefix.strip_prefix("sha256:").unwrap_or(prefix);
        let mut found = self
            .list()?
            .into_iter()
            .filter(|r| !prefix.is_empty() && r.key.hex().starts_with(prefix));
        match (found.next(), found.next()) {
            (Some(r), None) => self.get(&r.key),
            _ => Ok(None),
        }
    }

    /// Writes (or replaces) a record atomically. Its `inputs.files` go to a
    /// file of their own, written first: a record read without them (see
    /// [`CacheDir::get_head`]) and written back keeps them there.
    pub fn put(&self, record: &CacheRecord) -> Result<(), RecordError> {
        let mut record = record.clone();
        let files = std::mem::take(&mut record.inputs.files);
        if !files.is_empty() {
            let path = self.files_path(&record.key);
            let bytes = serde_json::to_vec(&files).map_err(|source| RecordError::Malformed {
                path: path.clone(),
                source,
            })?;
            self.write_atomic(&path, &bytes)?;
        }
        let path = self.path(&record.key);
        let pin_err = |source| RecordError::Pin {
            path: path.clone(),
            source,
        };
        record.pins = Pins {
            snapshots: record
                .snapshot
                .iter()
                .map(|s| strata_store::SnapshotId::new(s))
                .collect::<Result<_, _>>()
                .map_err(pin_err)?,
            blobs: record.layers.values().map(|l| l.digest).collect(),
        };
        let bytes =
            serde_json::to_vec_pretty(&record).map_err(|source| RecordError::Malformed {
                path: path.clone(),
                source,
            })?;
        self.write_atomic(&path, &bytes)
    }

    fn write_atomic(&self, path: &std::path::Path, bytes: &[u8]) -> Result<(), RecordError> {
        let io_err = |source| RecordError::Io {
            path: path.to_path_buf(),
            source,
        };
        let staging = self
            .store
            .tempdir()
            .map_err(|e| io_err(io::Error::other(e)))?;
        let tmp = staging.path().join("record");
        std::fs::write(&tmp, bytes).map_err(io_err)?;
        std::fs::rename(&tmp, path).map_err(io_err)
    }

    /// Read-modify-write of one record under its record lock, so two
    /// builds touching the same record never lose each other's update.
    /// Returns the updated record, or `None` when there is none.
    pub fn update(
        &self,
        key: &Digest,
        change: impl FnOnce(&mut CacheRecord),
    ) -> Result<Option<CacheRecord>, RecordError> {
        let _guard = super::lock::KeyLock::record(&self.store, key)?;
        let Some(mut rec) = self.get_head(key)? else {
            return Ok(None);
        };
        change(&mut rec);
        self.put(&rec)?;
        Ok(Some(rec))
    }

    /// Remembers the layer blob made for a record's snapshot. Skips the
    /// write (and its lock) when the record already says so, as on every
    /// cached rebuild.
    pub fn record_layer(
        &self,
        key: &Digest,
        variant: &str,
        layer: LayerRecord,
    ) -> Result<(), RecordError> {
        if let Some(rec) = self.get_head(key)?
            && rec.layers.get(variant) == Some(&layer)
        {
            return Ok(());
        }
        self.update(key, |rec| {
            rec.layers.insert(variant.to_string(), layer);
        })?;
        Ok(())
    }

    /// Marks a record used now (a hit).
    pub fn touch(&self, key: &Digest) -> Result<Option<CacheRecord>, RecordError> {
        self.update(key, |rec| {
            rec.last_used = now();
            rec.use_count += 1;
        })
    }

    /// Every readable record, without its `inputs.files` (see
    /// [`CacheDir::get_head`]); malformed files are skipped (fsck reports
    /// them), so one bad file never hides the others.
    pub fn list(&self) -> Result<Vec<CacheRecord>, RecordError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| RecordError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(hex) = name.strip_suffix(".json") else {
                continue;
            };
            let Ok(key) = Digest::from_hex(hex) else {
                continue;
            };
            if let Ok(Some(rec)) = self.get_head(&key) {
                out.push(rec);
            }
        }
        out.sort_by_key(|r| (r.created, r.key));
        Ok(out)
    }

    /// Removes a record and its lock files. Call it only under the store's
    /// exclusive lock (as prune does): a build holding a key lock would
    /// otherwise keep a lock on a file nobody else can find.
    pub fn remove(&self, key: &Digest) -> Result<bool, RecordError> {
        let path = self.path(key);
        let removed = match std::fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(source) => return Err(RecordError::Io { path, source }),
        };
        // Best effort: a leftover files list is never read without its record.
        let _ = std::fs::remove_file(self.files_path(key));
        super::lock::KeyLock::remove_files(&self.store, key);
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::key::Parent;

    fn record(instruction: &str) -> CacheRecord {
        let inputs = KeyInputs {
            parent: Parent::Scratch,
            instruction: instruction.into(),
            env: BTreeMap::new(),
            sources: None,
            files: BTreeMap::new(),
            extra: BTreeMap::new(),
        };
        CacheRecord::new(inputs, StepOrigin::default(), Some("snap".into()))
    }

    #[test]
    fn records_round_trip_and_count_uses() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let dir = CacheDir::open(&store).unwrap();
        let rec = record("RUN a");
        dir.put(&rec).unwrap();
        let back = dir.get(&rec.key).unwrap().unwrap();
        assert_eq!(
            (&back.key, &back.inputs, &back.snapshot),
            (&rec.key, &rec.inputs, &rec.snapshot)
        );
        assert_eq!(
            back.pins
                .snapshots
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            vec!["snap"],
            "pins keep the snapshot alive"
        );
        let touched = dir.touch(&rec.key).unwrap().unwrap();
        assert_eq!(touched.use_count, 2);
        dir.put(&record("RUN b")).unwrap();
        std::fs::write(store.cache_dir().join("steps/junk.json"), "{").unwrap();
        assert_eq!(dir.list().unwrap().len(), 2);
        assert!(dir.remove(&rec.key).unwrap());
        assert!(dir.get(&rec.key).unwrap().is_none());
        let leftovers = std::fs::read_dir(t.path().join("tmp")).unwrap().count();
        assert_eq!(leftovers, 0, "staging dirs are cleaned up");
    }
}
