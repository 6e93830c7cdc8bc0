//! The git checkouts of `cache/git/COMMIT` as cache entries: listed by
//! `cache ls`/`du` (with the URL each came from) and pruned by the same
//! rules as steps and cache mounts. Beside each checkout, `COMMIT.checkout`
//! (JSON: remote, created, last use, uses; not `.json`, so the store never
//! takes it for a step record) and `COMMIT.lock`, which a build holds shared
//! from before it looks for the checkout until the build ends, and which
//! prune takes exclusively: a checkout in use is never removed.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strata_store::Store;

use super::lock::open;
use super::meta_file::io_err;
use super::record::{RecordError, now};

/// `cache/git/COMMIT.checkout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutMeta {
    /// The repository as the build named it (`git://HOST/repo.git`).
    pub remote: String,
    pub created: u64,
    pub last_used: u64,
    pub use_count: u64,
    /// Bytes of its files, measured once: a checkout never changes, and
    /// `cache ls` (and the limit after every build) should not walk it.
    #[serde(default)]
    pub size: Option<u64>,
}

/// A checkout as `cache ls` shows it.
#[derive(Debug, Clone)]
pub struct CheckoutEntry {
    pub commit: String,
    /// None for a checkout made before strata kept its metadata.
    pub meta: Option<CheckoutMeta>,
    pub dir: PathBuf,
}

/// A build's hold on one checkout; released on drop (or process death).
#[derive(Debug)]
pub struct CheckoutLease {
    _lock: File,
}

pub fn checkouts_dir(store: &Store) -> PathBuf {
    store.cache_dir().join("git")
}

/// A commit id is all a checkout's name may be: anything else in the
/// directory is not one (nor ever handed to `remove_dir_all` by name).
fn is_commit(name: &str) -> bool {
    (name.len() == 40 || name.len() == 64) && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Holds the checkout of `commit` for this build, whether it exists yet or
/// not. The lock file a prune removed while this waited is not the one a
/// later prune would take, so the lease is taken again on the new file.
pub fn lease(store: &Store, commit: &str) -> Result<CheckoutLease, RecordError> {
    let root = checkouts_dir(store);
    std::fs::create_dir_all(&root).map_err(io_err(&root))?;
    let path = root.join(format!("{commit}.lock"));
    loop {
        let f = open(&path).map_err(io_err(&path))?;
        f.lock_shared().map_err(io_err(&path))?;
        let held = f.metadata().map_err(io_err(&path))?;
        match std::fs::metadata(&path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => {
                return Ok(CheckoutLease { _lock: f });
            }
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
}

/// Notes a use of the checkout of `commit`, fetched from `remote`. The file
/// is replaced by a rename, so a reader never sees half of it; two builds
/// at once may lose one count, never the entry.
pub fn record_use(store: &Store, commit: &str, remote: &str) -> Result<(), RecordError> {
    let root = checkouts_dir(store);
    let path = root.join(format!("{commit}.checkout"));
    let now = now();
    let mut meta = read_meta(&path).unwrap_or(CheckoutMeta {
        remote: remote.to_string(),
        created: now,
        last_used: now,
        use_count: 0,
        size: None,
    });
    if meta.size.is_none() {
        meta.size = Some(super::usage::tree_size(&root.join(commit)));
    }
    meta.last_used = now;
    meta.use_count += 1;
    super::meta_file::replace(store, &path, &meta)
}

fn read_meta(path: &Path) -> Option<CheckoutMeta> {
    super::meta_file::read(path)
}

/// Every checkout in the store, oldest first.
pub fn list(store: &Store) -> Result<Vec<CheckoutEntry>, RecordError> {
    let root = checkouts_dir(store);
    let entries = super::meta_file::entries(&root)?;
    let mut out = Vec::new();
    for entry in entries {
        let commit = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        if !is_commit(&commit) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let meta = read_meta(&root.join(format!("{commit}.checkout")));
        out.push(CheckoutEntry { commit, meta, dir });
    }
    out.sort_by_key(|e| (e.meta.as_ref().map_or(0, |m| m.created), e.commit.clone()));
    Ok(out)
}

/// Whether a build holds the checkout of `commit` now (the test
/// [`remove_if_idle`] makes, without removing anything).
pub fn is_busy(store: &Store, commit: &str) -> bool {
    // Opened read-only: asking must not create a lock file.
    match File::open(checkouts_dir(store).join(format!("{commit}.lock"))) {
        Ok(lock) => lock.try_lock().is_err(),
        Err(_) => false,
    }
}

/// Removes the checkout of `commit` unless a build holds it; true when
/// removed. It leaves `cache/git/` by a rename into tmp/ first, so a crash
/// mid-delete leaves garbage there (which the store clears), never half a
/// checkout under its commit's name.
pub fn remove_if_idle(store: &Store, commit: &str) -> Result<bool, RecordError> {
    if !is_commit(commit) {
        return Ok(false);
    }
    let root = checkouts_dir(store);
    let lock_path = root.join(format!("{commit}.lock"));
    let lock = open(&lock_path).map_err(io_err(&lock_path))?;
    if lock.try_lock().is_err() {
        return Ok(false);
    }
    let dir = root.join(commit);
    let staging = store
        .tempdir()
        .map_err(|e| io_err(&dir)(io::Error::other(e)))?;
    let doomed = staging.path().join("doomed");
    match std::fs::rename(&dir, &doomed) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err(&dir)(e)),
    }
    let _ = std::fs::remove_file(root.join(format!("{commit}.checkout")));
    // The lock file goes last, while still held: a build waiting on it
    // takes the lease again on a new file (see [`lease`]).
    let _ = std::fs::remove_file(&lock_path);
    drop(staging);
    Ok(true)
}

/// Removes the lock and metadata files of checkouts that are not there (a
/// fetch that failed or was killed leaves its lock file), unless a build
/// holds the lock: it may be fetching that checkout now.
pub fn sweep_orphans(store: &Store) -> Result<usize, RecordError> {
    let root = checkouts_dir(store);
    let entries = super::meta_file::entries(&root)?;
    let mut swept = 0;
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(commit) = name.strip_suffix(".lock") else {
            continue;
        };
        if !is_commit(commit) || root.join(commit).exists() {
            continue;
        }
        let lock_path = entry.path();
        let lock = open(&lock_path).map_err(io_err(&lock_path))?;
        // Looked at again once held: a build may have made it meanwhile.
        if lock.try_lock().is_err() || root.join(commit).exists() {
            continue;
        }
        let _ = std::fs::remove_file(root.join(format!("{commit}.checkout")));
        let _ = std::fs::remove_file(&lock_path);
        swept += 1;
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_leased_checkout_stays_and_an_idle_one_goes_with_its_files() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        std::fs::create_dir_all(checkouts_dir(&store).join(COMMIT).join("src")).unwrap();
        record_use(&store, COMMIT, "git://h/r.git").unwrap();
        let held = lease(&store, COMMIT).unwrap();
        assert!(is_busy(&store, COMMIT));
        assert!(!remove_if_idle(&store, COMMIT).unwrap(), "in use: kept");
        assert_eq!(list(&store).unwrap().len(), 1);
        drop(held);
        assert!(remove_if_idle(&store, COMMIT).unwrap());
        assert!(list(&store).unwrap().is_empty());
        let left: Vec<_> = std::fs::read_dir(checkouts_dir(&store)).unwrap().collect();
        assert!(left.is_empty(), "no metadata or lock file is left");
    }

    #[test]
    fn the_lock_of_a_checkout_never_made_is_swept_unless_held() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let held = lease(&store, COMMIT).unwrap();
        assert_eq!(
            sweep_orphans(&store).unwrap(),
            0,
            "a build may be fetching it"
        );
        drop(held);
        assert_eq!(sweep_orphans(&store).unwrap(), 1);
        let left: Vec<_> = std::fs::read_dir(checkouts_dir(&store)).unwrap().collect();
        assert!(left.is_empty());
    }

    #[test]
    fn only_commit_named_directories_are_checkouts() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        std::fs::create_dir_all(checkouts_dir(&store).join("not-a-commit")).unwrap();
        assert!(list(&store).unwrap().is_empty());
        assert!(!remove_if_idle(&store, "not-a-commit").unwrap());
    }

    #[test]
    fn uses_are_counted_and_the_first_remote_kept() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        std::fs::create_dir_all(checkouts_dir(&store).join(COMMIT)).unwrap();
        record_use(&store, COMMIT, "git://h/r.git").unwrap();
        record_use(&store, COMMIT, "https://h/r.git").unwrap();
        let e = list(&store).unwrap().remove(0);
        let meta = e.meta.unwrap();
        assert_eq!(meta.use_count, 2);
        assert_eq!(meta.remote, "git://h/r.git");
        assert_eq!(meta.size, Some(0), "measured once, when first used");
    }
}
