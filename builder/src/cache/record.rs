//! Cache records: one JSON file per key in the store's `cache/` dir, written
//! to a temporary name and renamed, so a reader never sees half a record.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::key::KeyInputs;
use crate::digest::Sha256;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cache record {path}: {source}")]
    Io {
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
}

/// A layer blob written for a record's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    pub digest: String,
    pub diff_id: String,
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
    pub key: Sha256,
    pub inputs: KeyInputs,
    #[serde(default)]
    pub origin: StepOrigin,
    /// The step's snapshot in the store; `None` when the step changed no
    /// file (its layer is empty and omitted from the image).
    pub snapshot: Option<String>,
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pins {
    pub snapshots: Vec<String>,
    pub blobs: Vec<String>,
}

impl CacheRecord {
    pub fn new(inputs: KeyInputs, origin: StepOrigin, snapshot: Option<String>) -> Self {
        let now = now();
        Self {
            key: inputs.key(),
            inputs,
            origin,
            snapshot,
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

/// The directory of records.
#[derive(Debug, Clone)]
pub struct CacheDir {
    dir: PathBuf,
}

impl CacheDir {
    pub fn open(dir: &Path) -> Result<Self, RecordError> {
        std::fs::create_dir_all(dir).map_err(|source| RecordError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &Sha256) -> PathBuf {
        self.dir.join(format!("{}.json", key.hex()))
    }

    pub fn get(&self, key: &Sha256) -> Result<Option<CacheRecord>, RecordError> {
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

    /// Writes (or replaces) a record atomically.
    pub fn put(&self, record: &CacheRecord) -> Result<(), RecordError> {
        let mut record = record.clone();
        record.pins = Pins {
            snapshots: record.snapshot.iter().cloned().collect(),
            blobs: record.layers.values().map(|l| l.digest.clone()).collect(),
        };
        let record = &record;
        let path = self.path(&record.key);
        let io_err = |source| RecordError::Io {
            path: path.clone(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(record).map_err(|source| RecordError::Malformed {
            path: path.clone(),
            source,
        })?;
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}-{}",
            record.key.hex(),
            std::process::id(),
            unique()
        ));
        std::fs::write(&tmp, bytes).map_err(io_err)?;
        std::fs::rename(&tmp, &path).map_err(io_err)
    }

    /// Marks a record used now (a hit).
    pub fn touch(&self, key: &Sha256) -> Result<Option<CacheRecord>, RecordError> {
        let Some(mut rec) = self.get(key)? else {
            return Ok(None);
        };
        rec.last_used = now();
        rec.use_count += 1;
        self.put(&rec)?;
        Ok(Some(rec))
    }

    /// Every readable record; malformed files are skipped (fsck reports
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
            let Ok(key) = hex.parse::<Sha256>() else {
                continue;
            };
            if let Ok(Some(rec)) = self.get(&key) {
                out.push(rec);
            }
        }
        out.sort_by_key(|r| (r.created, r.key));
        Ok(out)
    }

    /// Takes the exclusive lock of `key` (blocking): the build that holds
    /// it is the one running the step; others wait, then find its record.
    /// Released when the file is dropped.
    pub fn lock(&self, key: &Sha256) -> Result<std::fs::File, RecordError> {
        let path = self.dir.join(format!("{}.lock", key.hex()));
        let io_err = |source| RecordError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err)?;
        file.lock().map_err(io_err)?;
        Ok(file)
    }

    pub fn remove(&self, key: &Sha256) -> Result<bool, RecordError> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(RecordError::Io { path, source }),
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
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
            extra: BTreeMap::new(),
        };
        CacheRecord::new(inputs, StepOrigin::default(), Some("snap".into()))
    }

    #[test]
    fn records_round_trip_and_count_uses() {
        let t = tempfile::tempdir().unwrap();
        let dir = CacheDir::open(t.path()).unwrap();
        let rec = record("RUN a");
        dir.put(&rec).unwrap();
        let back = dir.get(&rec.key).unwrap().unwrap();
        assert_eq!(
            (&back.key, &back.inputs, &back.snapshot),
            (&rec.key, &rec.inputs, &rec.snapshot)
        );
        assert_eq!(
            back.pins.snapshots,
            vec!["snap"],
            "pins keep the snapshot alive"
        );
        let touched = dir.touch(&rec.key).unwrap().unwrap();
        assert_eq!(touched.use_count, 2);
        dir.put(&record("RUN b")).unwrap();
        std::fs::write(t.path().join("junk.json"), "{").unwrap();
        assert_eq!(dir.list().unwrap().len(), 2);
        assert!(dir.remove(&rec.key).unwrap());
        assert!(dir.get(&rec.key).unwrap().is_none());
        let leftovers = std::fs::read_dir(t.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
