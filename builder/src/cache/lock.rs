//! Per-key locks between builds sharing one store: flock(2) on small files
//! in `cache/locks/`. The kernel drops a flock when its holder dies, so a
//! build killed with SIGKILL never leaves a lock that blocks the next one;
//! the files themselves are empty and harmless.

use std::fs::{File, OpenOptions};
use strata_store::Store;

use super::record::RecordError;
use strata_store::Digest;

/// Held while the lock is; released on drop (or process death).
#[derive(Debug)]
pub struct KeyLock {
    _file: File,
}

impl KeyLock {
    /// Held while a build makes the step of `key`, so a second build that
    /// misses the same key waits and then finds the record instead of
    /// running the step again.
    pub fn build(store: &Store, key: &Digest) -> Result<KeyLock, RecordError> {
        Self::exclusive(store, &format!("{}.build", key.hex()))
    }

    /// Held for a read-modify-write of the record of `key`.
    pub fn record(store: &Store, key: &Digest) -> Result<KeyLock, RecordError> {
        Self::exclusive(store, &format!("{}.record", key.hex()))
    }

    /// Forgets the lock files of `key` (best effort: a leftover is harmless).
    pub(crate) fn remove_files(store: &Store, key: &Digest) {
        let dir = store.cache_dir().join("locks");
        for ext in ["build", "record"] {
            let _ = std::fs::remove_file(dir.join(format!("{}.{ext}", key.hex())));
        }
    }

    fn exclusive(store: &Store, name: &str) -> Result<KeyLock, RecordError> {
        let dir = store.cache_dir().join("locks");
        let path = dir.join(name);
        let err = |source| RecordError::Lock {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(err)?;
        let file = open(&path).map_err(err)?;
        file.lock().map_err(err)?;
        Ok(KeyLock { _file: file })
    }
}

pub(crate) fn open(path: &std::path::Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

/// Whether nobody holds a lock on `path` right now.
#[cfg(test)]
fn is_free(path: &std::path::Path) -> bool {
    match open(path) {
        Ok(f) => f.try_lock().is_ok(),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_lock_excludes_a_second_holder_until_dropped() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let key = Digest::of(b"k");
        let path = store.cache_dir().join(format!("locks/{}.build", key.hex()));
        let held = KeyLock::build(&store, &key).unwrap();
        assert!(!is_free(&path));
        drop(held);
        assert!(is_free(&path));
        let _other = KeyLock::build(&store, &Digest::of(b"other")).unwrap();
        assert!(is_free(&path), "locks of other keys are independent");
    }
}
