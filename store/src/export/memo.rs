//! Compressed variants of uncompressed layer blobs, remembered so a second
//! push or export of the same layer does not compress it again:
//! `cache/compressed/<uncompressed digest hex>.json`, one entry per
//! compression. The variants of a live layer are live too (gc keeps them,
//! so a layer is compressed once); once the layer goes, gc removes them and
//! drops memos whose blobs are gone.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::compress::Compression;
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::store::Store;

/// One compressed blob of the layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
}

/// Keyed by the compression's canonical text (`gzip:6`): sorted, so the
/// file's bytes depend only on its content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Memo {
    variants: BTreeMap<String, Variant>,
}

impl Store {
    fn memo_dir(&self) -> PathBuf {
        self.cache_dir().join("compressed")
    }

    fn memo_path(&self, plain: &Digest) -> PathBuf {
        self.memo_dir().join(format!("{}.json", plain.hex()))
    }

    /// A missing or unreadable memo is an empty one: it only ever saves work.
    fn read_memo(&self, plain: &Digest) -> Memo {
        load(&self.memo_path(plain)).unwrap_or_default()
    }

    /// Replaces the memo at `path` whole (tmp + rename).
    fn write_memo(&self, path: &Path, memo: &Memo) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(memo)
            .map_err(|e| StoreError::malformed("compressed layer memo", e))?;
        atomic::write_file(&self.tmp_dir(), path, &bytes)
    }

    /// The remembered `compression` variant of `plain`, if its blob is
    /// still in the store.
    pub(crate) fn remembered(&self, plain: &Digest, compression: Compression) -> Option<Variant> {
        self.read_memo(plain)
            .variants
            .remove(&compression.to_string())
            .filter(|v| self.has_blob(&v.digest))
    }

    /// Remembers `variant` as the `compression` form of `plain`. Two
    /// exporters racing both write whole files (tmp + rename); at worst one
    /// entry is lost and computed again later.
    pub(crate) fn remember(
        &self,
        plain: &Digest,
        compression: Compression,
        variant: Variant,
    ) -> Result<(), StoreError> {
        let mut memo = self.read_memo(plain);
        if memo.variants.get(&compression.to_string()) == Some(&variant) {
            return Ok(());
        }
        memo.variants.insert(compression.to_string(), variant);
        let dir = self.memo_dir();
        fs::create_dir_all(&dir).ctx(|| format!("create {}", dir.display()))?;
        self.write_memo(&self.memo_path(plain), &memo)
    }

    /// The compressed variants remembered for each of `plain`: gc keeps
    /// them while their layer lives, so each layer is compressed once.
    pub(crate) fn remembered_variants<'a>(
        &self,
        plain: impl Iterator<Item = &'a Digest>,
    ) -> Vec<Digest> {
        plain
            .flat_map(|d| self.read_memo(d).variants.into_values())
            .map(|v| v.digest)
            .collect()
    }

    /// Drops memo entries whose compressed blob is gone, and memos whose
    /// uncompressed blob is gone or that cannot be read. For gc, under the
    /// exclusive lock. Returns how many files were removed.
    pub(crate) fn drop_stale_memos(&self) -> Result<usize, StoreError> {
        let dir = self.memo_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => {
                return Err(StoreError::Io {
                    context: format!("read {}", dir.display()),
                    source: e,
                });
            }
        };
        let mut removed = 0;
        for entry in entries {
            let path = entry.ctx(|| format!("read {}", dir.display()))?.path();
            let plain = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| Digest::from_hex(s).ok());
            let (Some(plain), Some(mut memo)) = (plain, load(&path)) else {
                fs::remove_file(&path).ctx(|| format!("remove {}", path.display()))?;
                removed += 1;
                continue;
            };
            let before = memo.variants.len();
            memo.variants.retain(|_, v| self.has_blob(&v.digest));
            if memo.variants.is_empty() || !self.has_blob(&plain) {
                fs::remove_file(&path).ctx(|| format!("remove {}", path.display()))?;
                removed += 1;
            } else if memo.variants.len() != before {
                self.write_memo(&path, &memo)?;
            }
        }
        Ok(removed)
    }
}

/// The memo at `path`, if it can be read.
fn load(path: &Path) -> Option<Memo> {
    fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}
