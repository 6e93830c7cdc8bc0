//! The persistent stat cache: host path + size + mtime + inode + ctime ->
//! content digest, so an unchanged file is stat'ed, never read, on rebuild.
//! Concurrent builds may overwrite each other's file: every entry is checked
//! against a fresh stat before use, so a stale or lost entry only costs a
//! re-hash.

mod file_format;

use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use strata_store::Digest;

/// What says a file is unchanged without reading it: taken from the stat
/// the context walk already made, so each file is stat'ed once per build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
}

impl FileStamp {
    pub fn of(meta: &Metadata) -> Self {
        Self {
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            ino: meta.ino(),
        }
    }
}

/// A host path as raw bytes.
type PathKey = Vec<u8>;

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    stamp: FileStamp,
    digest: Digest,
}

/// A file's digest, and whether its content had to be read for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digested {
    pub digest: Digest,
    /// False when the stat cache knew the file.
    pub hashed: bool,
}

/// Digests of regular files, remembered across builds.
#[derive(Debug, Default)]
pub struct StatCache {
    file: Option<PathBuf>,
    /// Only files under this directory are remembered (the build context):
    /// temporary files (heredocs, downloads) would only grow the cache.
    scope: Option<PathBuf>,
    /// Keyed by the host path's bytes: hashing and comparing a `Path`
    /// goes component by component, which showed in the profile of an
    /// unchanged rebuild (one lookup per context file).
    entries: RwLock<HashMap<PathKey, Entry>>,
    dirty: AtomicBool,
}

/// Read in one go per call: large reads keep the syscall count per byte
/// low, and the buffer is reused by the thread's next file.
const READ_BUF: usize = 1 << 20;

impl StatCache {
    /// An in-memory cache that is never saved.
    pub fn ephemeral() -> Self {
        Self::default()
    }

    /// Loads the cache from `file`; a missing, unreadable, corrupt or
    /// older-format file is an empty cache (it is only an accelerator).
    pub fn load(file: &Path) -> Self {
        let entries = std::fs::read(file)
            .ok()
            .and_then(|bytes| file_format::decode(&bytes))
            .unwrap_or_default();
        Self {
            file: Some(file.to_path_buf()),
            scope: None,
            entries: RwLock::new(entries),
            dirty: AtomicBool::new(false),
        }
    }

    /// Remembers only files under `dir` from now on.
    pub fn scoped_to(mut self, dir: &Path) -> Self {
        self.scope = Some(dir.to_path_buf());
        self
    }

    /// The sha256 of a regular file's content; hashes only when the stat
    /// stamp changed since the last time.
    pub fn digest(&self, host: &Path, meta: &Metadata) -> io::Result<Digest> {
        Ok(self.digest_stamped(host, FileStamp::of(meta))?.digest)
    }

    /// [`StatCache::digest`] given the stamp of a stat the caller made.
    pub fn digest_stamped(&self, host: &Path, stamp: FileStamp) -> io::Result<Digested> {
        if let Some(hit) = self
            .read_entries()
            .get(key(host))
            .filter(|e| e.stamp == stamp)
        {
            return Ok(Digested {
                digest: hit.digest,
                hashed: false,
            });
        }
        let file = std::fs::File::open(host)?;
        let digest = hash_file(&file)?;
        let hashed = Digested {
            digest,
            hashed: true,
        };
        if self.scope.as_ref().is_some_and(|s| !host.starts_with(s)) {
            return Ok(hashed);
        }
        // A file modified while we read it would get a digest that belongs
        // to neither version: only remember it if the stamp held still.
        if FileStamp::of(&file.metadata()?) == stamp {
            self.lock_entries()
                .insert(key(host).to_vec(), Entry { stamp, digest });
            self.dirty.store(true, Ordering::Relaxed);
        }
        Ok(hashed)
    }

    /// Writes the cache back (tmp file + rename) if anything was learned.
    pub fn save(&self) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        if !self.dirty.load(Ordering::Relaxed) {
            return Ok(());
        }
        let bytes = file_format::encode(&self.read_entries());
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = file.with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, file)
    }

    // A panic elsewhere cannot leave an entry half-written: keep going.
    fn read_entries(&self) -> std::sync::RwLockReadGuard<'_, HashMap<PathKey, Entry>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_entries(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<PathKey, Entry>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The sha256 of an open file, read in large chunks through a per-thread
/// buffer (many small files must not each allocate a megabyte).
fn hash_file(mut file: &std::fs::File) -> io::Result<Digest> {
    use sha2::Digest as _;
    use std::io::Read;
    BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.len() < READ_BUF {
            buf.resize(READ_BUF, 0);
        }
        let mut h = sha2::Sha256::new();
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => h.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(Digest::from_bytes(h.finalize().into()))
    })
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
        assert_eq!(first, Digest::of(b"one"));
        cache.save().unwrap();

        // A cache entry that lies about the content proves the file was not read.
        let reloaded = StatCache::load(&cache_file);
        let fake = Digest::of(b"fake");
        reloaded.lock_entries().get_mut(key(&f)).unwrap().digest = fake;
        assert_eq!(reloaded.digest(&f, &meta).unwrap(), fake);

        std::fs::write(&f, "two!").unwrap();
        let meta = std::fs::symlink_metadata(&f).unwrap();
        assert_eq!(reloaded.digest(&f, &meta).unwrap(), Digest::of(b"two!"));
    }
}
