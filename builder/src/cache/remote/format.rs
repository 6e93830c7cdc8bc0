//! The artifact's config: the records, as another store needs them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ExportedMount, RemoteError};
use crate::cache::record::StepOrigin;
use crate::cache::{KeyInputs, LayerRecord};
use strata_store::Digest;

/// One exported record: the step's key and what went into it, and the
/// layer blob of its snapshot (`None`: the step changed no file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedRecord {
    pub key: Digest,
    pub inputs: KeyInputs,
    pub origin: StepOrigin,
    /// Kept so a build from imported records gets the same timestamps.
    pub created: u64,
    pub layer: Option<LayerRecord>,
    /// The layer variant (compression, SOURCE_DATE_EPOCH) `layer` is.
    pub variant: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheConfig {
    pub records: Vec<ExportedRecord>,
    /// Cache mount contents (`cache-mounts=true`); absent otherwise, so an
    /// export without them is the same bytes as before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<ExportedMount>,
}

impl CacheConfig {
    /// Reads a config, keeping only records whose key is the hash of their
    /// inputs: a record can then never stand for a step it is not.
    pub fn parse(origin: &str, bytes: &[u8]) -> Result<CacheConfig, RemoteError> {
        let mut config: CacheConfig =
            serde_json::from_slice(bytes).map_err(|e| RemoteError::not_a_cache(origin, e))?;
        config.records.retain(|r| r.inputs.key() == r.key);
        Ok(config)
    }
}

/// Records from every `--cache-from`, by key; the first source naming a
/// key wins.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    records: BTreeMap<Digest, ExportedRecord>,
    /// By id and seed (see [`ExportedMount::seed`]).
    mounts: BTreeMap<(String, Option<String>), ExportedMount>,
}

impl Imported {
    pub fn add(&mut self, config: CacheConfig) {
        for r in config.records {
            self.records.entry(r.key).or_insert(r);
        }
        for m in config.mounts {
            self.mounts
                .entry((m.id.clone(), m.seed.clone()))
                .or_insert(m);
        }
    }

    /// The imported contents of cache mount `id` seeded from `seed`
    /// (None: no `from=`).
    pub fn mount(&self, id: &str, seed: Option<&str>) -> Option<&ExportedMount> {
        self.mounts.get(&(id.to_string(), seed.map(str::to_string)))
    }

    pub fn mounts(&self) -> usize {
        self.mounts.len()
    }

    pub fn get(&self, key: &Digest) -> Option<&ExportedRecord> {
        self.records.get(key)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
