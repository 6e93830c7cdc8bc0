//! A container's own directories in the store: `containers/<id>/upper`
//! (its writes) and `work` (overlayfs scratch). With `--rm` they live in the
//! store's tmp/ and vanish; otherwise the upper dir is kept and its path
//! printed.

use std::path::PathBuf;

use miette::{Result, miette};
use strata_store::{Store, TempDir};

use super::store_open::report;

pub struct ContainerDir {
    id: String,
    dir: PathBuf,
    /// Present with `--rm`: dropping it removes everything.
    temp: Option<TempDir>,
}

impl ContainerDir {
    pub fn create(store: &Store, discard: bool) -> Result<Self> {
        let temp = store.tempdir().map_err(report)?;
        let id = container_id(&temp.path().to_string_lossy());
        let (dir, temp) = if discard {
            (temp.path().to_path_buf(), Some(temp))
        } else {
            let dir = store.root().join("containers").join(&id);
            std::fs::create_dir_all(&dir).map_err(|e| miette!("create {}: {e}", dir.display()))?;
            (dir, None)
        };
        for sub in ["upper", "work"] {
            let path = dir.join(sub);
            std::fs::create_dir(&path).map_err(|e| miette!("create {}: {e}", path.display()))?;
        }
        Ok(Self { id, dir, temp })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.join("work")
    }

    pub fn empty_lower(&self) -> Result<PathBuf> {
        let path = self.dir.join("empty");
        std::fs::create_dir_all(&path).map_err(|e| miette!("create {}: {e}", path.display()))?;
        Ok(path)
    }

    /// Removes the scratch dirs; keeps and lists the upper dir unless
    /// `--rm` (or the container never ran).
    pub fn finish(self, ran: bool) {
        // overlayfs leaves a root-owned work/work behind; it is never data.
        let _ = std::fs::remove_dir_all(self.work());
        let _ = std::fs::remove_dir_all(self.dir.join("empty"));
        if self.temp.is_some() {
            return;
        }
        if ran {
            eprintln!(
                "container {}: changes kept in {}",
                self.id,
                self.upper().display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// 12 hex digits, like Docker's short ids, from the unique temp dir name
/// and the clock.
fn container_id(seed: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write(seed.as_bytes());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}
