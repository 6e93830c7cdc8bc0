//! `RUN --mount=type=cache` directories: they live in `cache/mounts/` beside
//! the step records, are listed and pruned with them, and honour BuildKit's
//! sharing modes between concurrent builds:
//!
//! - `shared`: every build uses the same directory at once (a shared flock,
//!   so only prune, which wants it exclusively, waits);
//! - `locked`: one build at a time, the others wait (an exclusive flock);
//! - `private`: a build that finds the directory busy gets its own instance
//!   (`<name>_p1`, `<name>_p2`, ...), which persists as a separate entry.
//!
//! Per mount: `<name>/` (the directory), `<name>.lock` (the flock) and
//! `<name>.mount` (JSON metadata; not `.json`, so the store never mistakes
//! it for a step record).

use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strata_parser::Sharing;
use strata_store::Store;

use super::lock::open;
use super::meta_file::io_err;
use super::record::{RecordError, now};
use strata_store::Digest;

/// What a `--mount=type=cache` asks for.
#[derive(Debug, Clone)]
pub struct MountRequest<'a> {
    /// `id=`, or the target path when no id is given (as BuildKit does).
    pub id: &'a str,
    pub sharing: Sharing,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `from=`: the content digest of what seeds the cache. A cache with a
    /// `from` is its own cache, one per seed (BuildKit keys it by id and the
    /// from ref), so a changed seed starts a fresh one.
    pub seed: Option<&'a str>,
}

impl MountRequest<'_> {
    /// What tells two caches apart.
    fn identity(&self) -> String {
        match self.seed {
            Some(seed) => format!("{}:{seed}", self.id),
            None => self.id.to_string(),
        }
    }
}

/// Fills a new cache directory (the copy of a `from=`), before anyone sees it.
pub type Fill<'a> = &'a dyn Fn(&Path) -> Result<(), String>;

/// A cache directory in use; the lock is held until this is dropped.
#[derive(Debug)]
pub struct MountLease {
    pub dir: PathBuf,
    pub lock: File,
}

/// A cache mount directory as `cache ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountMeta {
    pub id: String,
    /// The sharing mode it was last used with.
    pub sharing: String,
    pub created: u64,
    pub last_used: u64,
    pub use_count: u64,
}

#[derive(Debug, Clone)]
pub struct MountEntry {
    /// The directory's name under `cache/mounts/`, unique per instance.
    pub name: String,
    pub meta: MountMeta,
    pub dir: PathBuf,
}

fn mounts_dir(store: &Store) -> PathBuf {
    store.cache_dir().join("mounts")
}

/// The directory and lock file of the first instance of the cache `id`
/// seeded from `seed` (None: made without `from=`), whether or not it
/// exists yet.
pub fn instance_paths(store: &Store, id: &str, seed: Option<&str>) -> (PathBuf, PathBuf) {
    let root = mounts_dir(store);
    let req = MountRequest {
        id,
        sharing: Sharing::Shared,
        mode: None,
        uid: None,
        gid: None,
        seed,
    };
    let base = base_name(&req.identity());
    (root.join(&base), root.join(format!("{base}.lock")))
}

/// A name that is safe as a file name, readable, and unique per id.
fn base_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = Digest::of(id.as_bytes()).hex();
    format!("{safe}-{}", &hash[..16])
}

fn sharing_name(s: Sharing) -> &'static str {
    match s {
        Sharing::Shared => "shared",
        Sharing::Private => "private",
        Sharing::Locked => "locked",
    }
}

/// Takes the cache directory for `req`, creating it (owned and moded as
/// asked) on first use, and records the use.
pub fn acquire(store: &Store, req: &MountRequest) -> Result<MountLease, RecordError> {
    acquire_seeded(store, req, None)
}

/// [`acquire`], where `fill` writes a new directory's first content.
pub fn acquire_seeded(
    store: &Store,
    req: &MountRequest,
    fill: Option<Fill>,
) -> Result<MountLease, RecordError> {
    let root = mounts_dir(store);
    std::fs::create_dir_all(&root).map_err(io_err(&root))?;
    let base = base_name(&req.identity());
    let (name, lock) = match req.sharing {
        Sharing::Shared => {
            let path = root.join(format!("{base}.lock"));
            let f = open(&path).map_err(io_err(&path))?;
            f.lock_shared().map_err(io_err(&path))?;
            (base, f)
        }
        Sharing::Locked => {
            let path = root.join(format!("{base}.lock"));
            let f = open(&path).map_err(io_err(&path))?;
            f.lock().map_err(io_err(&path))?;
            (base, f)
        }
        Sharing::Private => first_free_instance(&root, &base)?,
    };
    let dir = root.join(&name);
    if !dir.is_dir() {
        create_dir(store, &dir, req, fill)?;
    }
    record_use(store, &root, &name, req)?;
    Ok(MountLease { dir, lock })
}

/// The first instance of `base` nobody holds, by an exclusive try-lock.
fn first_free_instance(root: &Path, base: &str) -> Result<(String, File), RecordError> {
    for n in 0u32.. {
        let name = if n == 0 {
            base.to_string()
        } else {
            format!("{base}_p{n}")
        };
        let path = root.join(format!("{name}.lock"));
        let f = open(&path).map_err(io_err(&path))?;
        if f.try_lock().is_ok() {
            return Ok((name, f));
        }
    }
    unreachable!("u32 instances never run out before the open file limit does")
}

/// Made in tmp/ and renamed into place, so a half-made directory with the
/// wrong owner is never seen.
fn create_dir(
    store: &Store,
    dir: &Path,
    req: &MountRequest,
    fill: Option<Fill>,
) -> Result<(), RecordError> {
    let staging = store
        .tempdir()
        .map_err(|e| io_err(dir)(io::Error::other(e)))?;
    let tmp = staging.path().join("dir");
    std::fs::create_dir(&tmp).map_err(io_err(&tmp))?;
    std::fs::set_permissions(
        &tmp,
        std::fs::Permissions::from_mode(req.mode.unwrap_or(0o755)),
    )
    .map_err(io_err(&tmp))?;
    std::os::unix::fs::chown(&tmp, Some(req.uid.unwrap_or(0)), Some(req.gid.unwrap_or(0)))
        .map_err(io_err(&tmp))?;
    if let Some(fill) = fill {
        fill(&tmp).map_err(|e| io_err(dir)(io::Error::other(e)))?;
    }
    match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(()),
        // Another build made it first: theirs is as good as ours.
        Err(_) if dir.is_dir() => Ok(()),
        Err(e) => Err(io_err(dir)(e)),
    }
}

fn record_use(
    store: &Store,
    root: &Path,
    name: &str,
    req: &MountRequest,
) -> Result<(), RecordError> {
    let meta_lock_path = root.join(format!("{name}.metalock"));
    let meta_lock = open(&meta_lock_path).map_err(io_err(&meta_lock_path))?;
    meta_lock.lock().map_err(io_err(&meta_lock_path))?;
    let path = root.join(format!("{name}.mount"));
    let now = now();
    let mut meta = read_meta(&path).unwrap_or(MountMeta {
        id: req.id.to_string(),
        sharing: String::new(),
        created: now,
        last_used: now,
        use_count: 0,
    });
    meta.sharing = sharing_name(req.sharing).to_string();
    meta.last_used = now;
    meta.use_count += 1;
    super::meta_file::replace(store, &path, &meta)
}

fn read_meta(path: &Path) -> Option<MountMeta> {
    super::meta_file::read(path)
}

/// Every cache mount directory in the store.
pub fn list(store: &Store) -> Result<Vec<MountEntry>, RecordError> {
    let root = mounts_dir(store);
    let entries = super::meta_file::entries(&root)?;
    let mut out = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let meta = read_meta(&root.join(format!("{name}.mount"))).unwrap_or(MountMeta {
            id: name.clone(),
            sharing: "unknown".to_string(),
            created: 0,
            last_used: 0,
            use_count: 0,
        });
        out.push(MountEntry { name, meta, dir });
    }
    out.sort_by(|a, b| (a.meta.created, &a.name).cmp(&(b.meta.created, &b.name)));
    Ok(out)
}

/// Whether a build holds cache mount `name` now (the test
/// [`remove_if_idle`] makes, without removing anything).
pub fn is_busy(store: &Store, name: &str) -> bool {
    // Opened read-only: asking must not create a lock file.
    let lock_path = mounts_dir(store).join(format!("{name}.lock"));
    match File::open(&lock_path) {
        Ok(lock) => lock.try_lock().is_err(),
        Err(_) => false,
    }
}

/// Removes a cache mount unless a build is using it; true when removed.
/// The directory leaves `cache/mounts/` by a rename first, so a crash
/// mid-delete leaves garbage in tmp/ (which gc clears), never half a cache.
pub fn remove_if_idle(store: &Store, name: &str) -> Result<bool, RecordError> {
    let root = mounts_dir(store);
    let lock_path = root.join(format!("{name}.lock"));
    let lock = open(&lock_path).map_err(io_err(&lock_path))?;
    if lock.try_lock().is_err() {
        return Ok(false);
    }
    let dir = root.join(name);
    let staging = store
        .tempdir()
        .map_err(|e| io_err(&dir)(io::Error::other(e)))?;
    let doomed = staging.path().join("doomed");
    match std::fs::rename(&dir, &doomed) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err(&dir)(e)),
    }
    for ext in ["mount", "metalock"] {
        let _ = std::fs::remove_file(root.join(format!("{name}.{ext}")));
    }
    // The lock file goes last, while still held: a build that opened it
    // meanwhile finds the directory gone and makes a fresh one.
    let _ = std::fs::remove_file(&lock_path);
    drop(staging);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, sharing: Sharing) -> MountRequest<'_> {
        MountRequest {
            id,
            sharing,
            mode: Some(0o700),
            uid: None,
            gid: None,
            seed: None,
        }
    }

    #[test]
    fn a_seeded_cache_is_filled_once_and_apart_from_the_unseeded_one() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let fill = |dir: &Path| std::fs::write(dir.join("seeded"), "1").map_err(|e| e.to_string());
        let seeded = MountRequest {
            seed: Some("sha256:s1"),
            ..req("c", Sharing::Shared)
        };
        let a = acquire_seeded(&store, &seeded, Some(&fill)).unwrap();
        assert!(a.dir.join("seeded").is_file());
        std::fs::remove_file(a.dir.join("seeded")).unwrap();
        let again = acquire_seeded(&store, &seeded, Some(&fill)).unwrap();
        assert!(
            !again.dir.join("seeded").exists(),
            "only a new cache is seeded"
        );
        let plain = acquire(&store, &req("c", Sharing::Shared)).unwrap();
        assert_ne!(plain.dir, a.dir);
    }

    #[test]
    fn shared_mounts_are_one_directory_and_count_their_uses() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let a = acquire(&store, &req("go", Sharing::Shared)).unwrap();
        let b = acquire(&store, &req("go", Sharing::Shared)).unwrap();
        assert_eq!(a.dir, b.dir);
        let mode = std::fs::metadata(&a.dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let all = list(&store).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].meta.id, "go");
        assert_eq!(all[0].meta.use_count, 2);
    }

    #[test]
    fn a_busy_private_mount_gives_a_second_instance() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let a = acquire(&store, &req("p", Sharing::Private)).unwrap();
        let b = acquire(&store, &req("p", Sharing::Private)).unwrap();
        assert_ne!(a.dir, b.dir);
        drop(b);
        let c = acquire(&store, &req("p", Sharing::Private)).unwrap();
        assert_ne!(a.dir, c.dir, "the free instance is reused");
        assert_eq!(list(&store).unwrap().len(), 2);
    }

    #[test]
    fn a_mount_in_use_is_not_removed() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let lease = acquire(&store, &req("x", Sharing::Shared)).unwrap();
        std::fs::write(lease.dir.join("f"), "data").unwrap();
        let name = list(&store).unwrap()[0].name.clone();
        assert!(is_busy(&store, &name));
        assert!(!remove_if_idle(&store, &name).unwrap());
        drop(lease);
        assert!(!is_busy(&store, &name));
        assert!(remove_if_idle(&store, &name).unwrap());
        assert!(list(&store).unwrap().is_empty());
    }
}
