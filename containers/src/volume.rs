//! Named and anonymous volumes: `ROOT/volumes/<name>/volume.json` (the
//! record) and `ROOT/volumes/<name>/_data` (what containers bind-mount).
//! Creating and removing one happen under `volumes/lock`; a volume appears
//! (renamed into place) only once its record and data dir are whole.
//!
//! A container uses a volume when its spec binds the volume's `_data`:
//! the container's fixed config is the one record of the use, so nothing
//! can drift out of step with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strata_store::Store;

use crate::container::write_json;
use crate::error::{ContainerError, IoContext};
use crate::lock::FileLock;
use crate::registry::Containers;
use crate::time::Timestamp;

/// A volume's record, spelled as `docker volume inspect` prints one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    pub name: String,
    pub driver: String,
    pub mountpoint: PathBuf,
    pub created_at: Timestamp,
    pub labels: BTreeMap<String, String>,
    pub scope: String,
    /// Made for a container (`-v /path`, the image's VOLUME) rather than
    /// by name: `rm -v` and `volume prune` remove these.
    pub anonymous: bool,
    /// True until the first container that mounts it over a non-empty
    /// image directory has copied that directory's contents in (podman's
    /// NeedsCopyUp; docker copies into an empty volume likewise).
    pub needs_copy_up: bool,
}

pub struct Volumes {
    dir: PathBuf,
    store: Store,
}

const RECORD: &str = "volume.json";
const DATA: &str = "_data";

/// docker's rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid_volume_name(name: &str) -> bool {
    name.len() >= 2 && crate::id::valid_name(name)
}

impl Volumes {
    pub fn open(store: &Store) -> Result<Volumes, ContainerError> {
        let dir = store.root().join("volumes");
        std::fs::create_dir_all(&dir).ctx("create", &dir)?;
        Ok(Volumes {
            dir,
            store: store.clone(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Held while a volume is created, filled or removed.
    pub fn lock(&self) -> Result<FileLock, ContainerError> {
        FileLock::exclusive(&self.dir.join("lock"))
    }

    /// Held (shared) by a command making a container, from before its
    /// volumes are made until its record exists: a container's use of a
    /// volume is seen only in its record, so nothing may remove a volume
    /// in between. Take it before [`Volumes::lock`].
    pub fn users_lock(&self) -> Result<FileLock, ContainerError> {
        FileLock::shared(&self.dir.join("users.lock"))
    }

    /// What a removal holds: no container is being made, and no volume is
    /// being created or filled.
    pub fn removal_lock(&self) -> Result<(FileLock, FileLock), ContainerError> {
        let users = FileLock::exclusive(&self.dir.join("users.lock"))?;
        Ok((users, self.lock()?))
    }

    /// A new volume; `None` for the name makes an anonymous one (a 64 hex
    /// digit name). Call under [`Volumes::lock`].
    pub fn create(
        &self,
        name: Option<&str>,
        labels: BTreeMap<String, String>,
    ) -> Result<Volume, ContainerError> {
        let (name, anonymous) = match name {
            Some(n) if !valid_volume_name(n) => {
                return Err(ContainerError::InvalidVolumeName(n.to_owned()));
            }
            Some(n) => (n.to_owned(), false),
            None => (crate::id::new_id(), true),
        };
        let dest = self.dir.join(&name);
        if dest.exists() {
            return Err(ContainerError::VolumeExists(name));
        }
        let staging = self.store.tempdir()?;
        let data = staging.path().join(DATA);
        std::fs::create_dir(&data).ctx("create", &data)?;
        // A fresh volume is world-writable-free and root's, as docker's.
        std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .ctx("chmod", &data)?;
        let volume = Volume {
            mountpoint: dest.join(DATA),
            name,
            driver: "local".to_owned(),
            created_at: Timestamp::now(),
            labels,
            scope: "local".to_owned(),
            anonymous,
            needs_copy_up: true,
        };
        write_json(staging.path(), RECORD, &volume, true)?;
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, &dest) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(e).ctx("rename into place", dest);
        }
        Ok(volume)
    }

    pub fn get(&self, name: &str) -> Result<Option<Volume>, ContainerError> {
        let path = self.dir.join(name).join(RECORD);
        if !valid_volume_name(name) {
            return Ok(None);
        }
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).ctx("read", path),
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|source| ContainerError::Record { path, source })
    }

    pub fn find(&self, name: &str) -> Result<Volume, ContainerError> {
        self.get(name)?
            .ok_or_else(|| ContainerError::VolumeNotFound(name.to_owned()))
    }

    /// Every volume, by name.
    pub fn list(&self) -> Result<Vec<Volume>, ContainerError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).ctx("read", &self.dir)? {
            let entry = entry.ctx("read", &self.dir)?;
            if !entry.path().is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(v) = self.get(&name)? {
                out.push(v);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Records that the volume's contents were copied up (or that it was
    /// written before an image had anything to give it).
    pub fn mark_filled(&self, volume: &Volume) -> Result<(), ContainerError> {
        let mut v = volume.clone();
        v.needs_copy_up = false;
        write_json(&self.dir.join(&v.name), RECORD, &v, true)
    }

    /// The ids of the containers whose spec binds this volume, and of the
    /// foreground runs that bind it now.
    pub fn users(
        &self,
        containers: &Containers,
        volume: &Volume,
    ) -> Result<Vec<String>, ContainerError> {
        let mut ids: Vec<String> = containers
            .list()?
            .into_iter()
            .filter(|c| {
                uses_of(&c.config.spec)
                    .iter()
                    .any(|m| m == &volume.mountpoint)
            })
            .map(|c| c.config.short_id().to_owned())
            .collect();
        ids.extend(crate::volume_runs::live_runs(&self.dir.join(&volume.name)));
        Ok(ids)
    }

    /// Marks the volumes `spec` binds as used by foreground run `id` (which
    /// has no container record) until the hold is dropped. Take it under
    /// [`Volumes::users_lock`], as a container's record is made.
    pub fn hold_for_run(
        &self,
        spec: &strata_executor::RunSpec,
        id: &str,
    ) -> Result<crate::RunHold, ContainerError> {
        let dirs: Vec<PathBuf> = uses_of(spec)
            .iter()
            .filter_map(|p| self.name_of(p))
            .map(|name| self.dir.join(name))
            .collect();
        crate::volume_runs::hold(&dirs, id)
    }

    /// Removes a volume no container uses. Call under [`Volumes::removal_lock`].
    pub fn remove(&self, containers: &Containers, volume: &Volume) -> Result<(), ContainerError> {
        let users = self.users(containers, volume)?;
        if !users.is_empty() {
            return Err(ContainerError::VolumeInUse {
                name: volume.name.clone(),
                ids: users.join(", "),
            });
        }
        self.remove_unchecked(&volume.name)
    }

    /// Moves the volume into tmp/ first, so it vanishes at once and a crash
    /// midway leaves only tmp/ leftovers.
    fn remove_unchecked(&self, name: &str) -> Result<(), ContainerError> {
        let src = self.dir.join(name);
        let doomed = self.store.tempdir()?;
        let target = doomed.path().join(name);
        std::fs::rename(&src, &target).ctx("move aside", &src)?;
        crate::remove_tree::remove_tree(doomed.path())
    }

    /// Removes the unused volumes (only anonymous ones unless `all`);
    /// returns their names. Call under [`Volumes::removal_lock`].
    pub fn prune(&self, containers: &Containers, all: bool) -> Result<Vec<String>, ContainerError> {
        let used: Vec<PathBuf> = containers
            .list()?
            .iter()
            .flat_map(|c| uses_of(&c.config.spec))
            .collect();
        let mut removed = Vec::new();
        for v in self.list()? {
            let running = !crate::volume_runs::live_runs(&self.dir.join(&v.name)).is_empty();
            if (v.anonymous || all) && !used.contains(&v.mountpoint) && !running {
                self.remove_unchecked(&v.name)?;
                removed.push(v.name);
            }
        }
        Ok(removed)
    }

    /// The anonymous volumes among those `spec` binds (what `rm -v` and
    /// `--rm` remove with the container).
    pub fn anonymous_of(
        &self,
        spec: &strata_executor::RunSpec,
    ) -> Result<Vec<Volume>, ContainerError> {
        let mut out = Vec::new();
        for path in uses_of(spec) {
            if let Some(name) = self.name_of(&path)
                && let Some(v) = self.get(&name)?
                && v.anonymous
            {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// The anonymous volumes `spec` binds, by the path they are mounted
    /// at (what `compose up` mounts again in the container replacing it).
    pub fn anonymous_targets(
        &self,
        spec: &strata_executor::RunSpec,
    ) -> Result<Vec<(PathBuf, String)>, ContainerError> {
        let mut out = Vec::new();
        for m in &spec.mounts {
            if let strata_executor::Mount::Bind { source, target, .. } = m
                && let Some(name) = self.name_of(source)
                && self.get(&name)?.is_some_and(|v| v.anonymous)
            {
                out.push((target.clone(), name));
            }
        }
        Ok(out)
    }

    /// Removes the anonymous volumes of container `leaving` (which is
    /// being removed, or is gone), unless another container uses one still.
    pub fn remove_anonymous(
        &self,
        containers: &Containers,
        leaving: &str,
        spec: &strata_executor::RunSpec,
    ) -> Result<(), ContainerError> {
        let _lock = self.removal_lock()?;
        for v in self.anonymous_of(spec)? {
            let users = self.users(containers, &v)?;
            if users.iter().all(|id| leaving.starts_with(id.as_str())) {
                self.remove_unchecked(&v.name)?;
            }
        }
        Ok(())
    }

    /// `system fsck`: every volume dir has a record and a data dir, and
    /// every volume a container binds exists. Returns (checked, problems).
    pub fn fsck(&self, containers: &Containers) -> Result<(usize, Vec<String>), ContainerError> {
        let mut problems = Vec::new();
        let mut checked = 0;
        for entry in std::fs::read_dir(&self.dir).ctx("read", &self.dir)? {
            let entry = entry.ctx("read", &self.dir)?;
            if !entry.path().is_dir() {
                continue;
            }
            checked += 1;
            let name = entry.file_name().to_string_lossy().into_owned();
            match self.get(&name) {
                Ok(Some(v)) if !v.mountpoint.is_dir() => {
                    problems.push(format!(
                        "volume {name}: its data dir {} is missing",
                        v.mountpoint.display()
                    ));
                }
                Ok(Some(_)) => {}
                Ok(None) => problems.push(format!("volume dir {name} has no {RECORD}")),
                Err(e) => problems.push(format!("volume {name}: {e}")),
            }
        }
        for c in containers.list()? {
            for path in uses_of(&c.config.spec) {
                if let Some(name) = self.name_of(&path)
                    && !path.is_dir()
                {
                    problems.push(format!(
                        "container {} mounts volume {name}, which does not exist",
                        c.config.short_id()
                    ));
                }
            }
        }
        Ok((checked, problems))
    }

    /// The volume whose `_data` is `path`.
    fn name_of(&self, path: &Path) -> Option<String> {
        let rest = path.strip_prefix(&self.dir).ok()?;
        let mut parts = rest.components();
        let name = parts.next()?.as_os_str().to_str()?.to_owned();
        (parts.as_path() == Path::new(DATA)).then_some(name)
    }
}

/// The bind sources of `spec`: where volumes show up.
fn uses_of(spec: &strata_executor::RunSpec) -> Vec<PathBuf> {
    spec.mounts
        .iter()
        .filter_map(|m| match m {
            strata_executor::Mount::Bind { source, .. } => Some(source.clone()),
            _ => None,
        })
        .collect()
}

/// Size in bytes of everything under `dir` (for `system df`).
pub fn disk_usage(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
