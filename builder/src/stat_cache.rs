//! The persistent stat cache: host path + size + mtime + inode + ctime ->
//! content digest, so an unchanged file is stat'ed, never read, on rebuild.
//! Concurrent builds may overwrite each other's file: every entry is checked
//! against a fresh stat before use, so a stale or lost entry only costs a
//! re-hash.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::digest::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
}

impl Stamp {
    fn of(meta: &Metadata) -> Self {
        Self {
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            ino: meta.ino(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    stamp: Stamp,
    digest: Sha256,
}

/// Digests of regular files, remembered across builds.
#[derive(Debug, Default)]
pub struct StatCache {
    file: Option<PathBuf>,
    /// Only files under this directory are remembered (the build context):
    /// temporary files (heredocs, downloads) would only grow the cache.
    scope: Option<PathBuf>,
    entries: Mutex<HashMap<PathBuf, Entry>>,
    dirty: Mutex<bool>,
}

impl StatCache {
    /// An in-memory cache that is never saved.
    pub fn ephemeral() -> Self {
        Self::default()
    }

    /// Loads the cache from `file`; a missing or unreadable file is an empty
    /// cache (it is only an accelerator).
    pub fn load(file: &Path) -> Self {
        let entries = std::fs::read(file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            file: Some(file.to_path_buf()),
            scope: None,
            entries: Mutex::new(entries),
            dirty: Mutex::new(false),
        }
    }

    /// Remembers only files under `dir` from now on.
    pub fn scoped_to(mut self, dir: &Path) -> Self {
        self.scope = Some(dir.to_path_buf());
        self
    }

    /// The sha256 of a regular file's content; hashes only when the stat
    /// stamp changed since the last time.
    pub fn digest(&self, host: &Path, meta: &Metadata) -> io::Result<Sha256> {
        let stamp = Stamp::of(meta);
        if let Some(hit) = self.lock_entries().get(host).filter(|e| e.stamp == stamp) {
            return Ok(hit.digest);
        }
        let digest = Sha256::of_reader(std::fs::File::open(host)?)?;
        if self.scope.as_ref().is_some_and(|s| !host.starts_with(s)) {
            return Ok(digest);
        }
        // A file modified while we read it would get a digest that belongs
        // to neither version: only remember it if the stamp held still.
        let after = Stamp::of(&std::fs::symlink_metadata(host)?);
        if after == stamp {
            self.lock_entries()
                .insert(host.to_path_buf(), Entry { stamp, digest });
            *self.dirty.lock().unwrap_or_else(|p| p.into_inner()) = true;
        }
        Ok(digest)
    }

    /// Digests many files in parallel, in the order given.
    pub fn digest_all(&self, files: &[(PathBuf, Metadata)]) -> io::Result<Vec<Sha256>> {
        files
            .par_iter()
            .map(|(host, meta)| self.digest(host, meta))
            .collect()
    }

    /// Writes the cache back (tmp file + rename) if anything was learned.
    pub fn save(&self) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        if !*self.dirty.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&*self.lock_entries()).map_err(io::Error::other)?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = file.with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, file)
    }

    fn lock_entries(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Entry>> {
        // A panic elsewhere cannot leave an entry half-written: keep going.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_files_are_not_reread_and_changes_are_seen() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, "one").unwrap();
        let cache_file = t.path().join("cache.json");
        let elsewhere = tempfile::tempdir().unwrap();
        let scoped = StatCache::load(&cache_file).scoped_to(elsewhere.path());
        scoped
            .digest(&f, &std::fs::symlink_metadata(&f).unwrap())
            .unwrap();
        assert!(
            scoped.lock_entries().is_empty(),
            "out of scope: not remembered"
        );
        let cache = StatCache::load(&cache_file);
        let meta = std::fs::symlink_metadata(&f).unwrap();
        let first = cache.digest(&f, &meta).unwrap();
        assert_eq!(first, Sha256::of_bytes(b"one"));
        cache.save().unwrap();

        // A cache entry that lies about the content proves the file was not read.
        let reloaded = StatCache::load(&cache_file);
        let fake = Sha256::of_bytes(b"fake");
        reloaded.lock_entries().get_mut(&f).unwrap().digest = fake;
        assert_eq!(reloaded.digest(&f, &meta).unwrap(), fake);

        std::fs::write(&f, "two!").unwrap();
        let meta = std::fs::symlink_metadata(&f).unwrap();
        assert_eq!(
            reloaded.digest(&f, &meta).unwrap(),
            Sha256::of_bytes(b"two!")
        );
    }
}
