//! All containers of a store: `ROOT/containers/`. Creating one and
//! choosing its name happen under `containers/names.lock`, so two creates
//! cannot take the same name; a container appears (renamed into place)
//! only once its records and dirs are whole.

use std::path::PathBuf;

use strata_store::{Image, Store};

use crate::config::ContainerConfig;
use crate::container::{Container, write_json};
use crate::error::{ContainerError, IoContext};
use crate::lock::FileLock;
use crate::pins;
use crate::state::ContainerState;

pub struct Containers {
    store: Store,
    dir: PathBuf,
}

impl Containers {
    pub fn open(store: &Store) -> Result<Containers, ContainerError> {
        let dir = store.root().join("containers");
        std::fs::create_dir_all(&dir).ctx("create", &dir)?;
        Ok(Containers {
            store: store.clone(),
            dir,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A fresh id (64 hex digits) and the directory the container will have:
    /// its RunSpec names its `upper`, `work` and `empty` (the lower dir of
    /// an image without layers) dirs there.
    pub fn allocate(&self) -> (String, PathBuf) {
        let id = crate::id::new_id();
        let dir = self.dir.join(&id);
        (id, dir)
    }

    /// Records a new container. `config.name` empty means: make one up.
    /// Call under the store's shared lock (the image is pinned for gc).
    pub fn create(
        &self,
        mut config: ContainerConfig,
        image: &Image,
    ) -> Result<Container, ContainerError> {
        if !config.name.is_empty() && !crate::id::valid_name(&config.name) {
            return Err(ContainerError::InvalidName(config.name));
        }
        let _names = FileLock::exclusive(&self.dir.join("names.lock"))?;
        let existing = self.list()?;
        if config.name.is_empty() {
            config.name = crate::id::default_name(&config.id, |n| {
                existing.iter().any(|c| c.config.name == n)
            });
        }
        if let Some(c) = existing.iter().find(|c| c.config.name == config.name) {
            return Err(ContainerError::NameTaken {
                name: config.name,
                id: c.config.short_id().to_owned(),
            });
        }
        let staging = self.store.tempdir()?;
        for sub in ["upper", "work", "empty"] {
            let p = staging.path().join(sub);
            std::fs::create_dir(&p).ctx("create", &p)?;
        }
        write_json(staging.path(), "config.json", &config, true)?;
        write_json(
            staging.path(),
            "state.json",
            &ContainerState::created(),
            true,
        )?;
        pins::pin(&self.store, &config.id, image)?;
        let dest = self.dir.join(&config.id);
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, &dest) {
            let _ = std::fs::remove_dir_all(&staged);
            let _ = pins::unpin(&self.store, &config.id);
            return Err(e).ctx("rename into place", dest);
        }
        Container::load(dest)
    }

    /// Every container, oldest first. Directories without a config (the
    /// upper dirs of foreground `strata run`s) are not containers.
    pub fn list(&self) -> Result<Vec<Container>, ContainerError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).ctx("read", &self.dir)? {
            let entry = entry.ctx("read", &self.dir)?;
            let dir = entry.path();
            if !dir.join("config.json").is_file() {
                continue;
            }
            match Container::load(dir) {
                Ok(c) => out.push(c),
                // Removed while we listed.
                Err(ContainerError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| (a.config.created, &a.config.id).cmp(&(b.config.created, &b.config.id)));
        Ok(out)
    }

    /// By full id, name, or a unique id prefix, as docker resolves them.
    pub fn find(&self, query: &str) -> Result<Container, ContainerError> {
        self.lookup(query)?
            .ok_or_else(|| ContainerError::NotFound(query.to_owned()))
    }

    pub fn lookup(&self, query: &str) -> Result<Option<Container>, ContainerError> {
        if query.is_empty() {
            return Ok(None);
        }
        let all = self.list()?;
        if let Some(c) = all
            .iter()
            .find(|c| c.config.id == query || c.config.name == query)
        {
            return Ok(Some(c.clone()));
        }
        let matches: Vec<&Container> = all
            .iter()
            .filter(|c| c.config.id.starts_with(query))
            .collect();
        match matches.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            many => Err(ContainerError::Ambiguous {
                query: query.to_owned(),
                ids: many
                    .iter()
                    .map(|c| c.config.short_id())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Removes a `--rm` container whose monitor died (its monitor would
    /// have removed it); true if it is gone. Leaves it when a command is on
    /// it or a client still waits for its exit code.
    pub fn remove_orphan(&self, c: &Container, state: &ContainerState) -> bool {
        if !(c.config.auto_remove && state.monitor_died && state.status == crate::Status::Exited) {
            return false;
        }
        let Ok(Some(_attached)) = FileLock::try_exclusive(&c.attach_lock_path()) else {
            return false;
        };
        let Ok(Some(_lock)) = c.try_lock() else {
            return false;
        };
        self.remove(c).is_ok()
    }

    /// Gives `c` the name `new`, unique as create's names are.
    pub fn rename(&self, c: &Container, new: &str) -> Result<Container, ContainerError> {
        if !crate::id::valid_name(new) {
            return Err(ContainerError::InvalidName(new.to_owned()));
        }
        let _names = FileLock::exclusive(&self.dir.join("names.lock"))?;
        if let Some(other) = self.list()?.iter().find(|o| o.config.name == new) {
            return Err(ContainerError::NameTaken {
                name: new.to_owned(),
                id: other.config.short_id().to_owned(),
            });
        }
        let mut config = Container::load(c.dir.clone())?.config;
        config.name = new.to_owned();
        write_json(&c.dir, "config.json", &config, true)?;
        Container::load(c.dir.clone())
    }

    /// Removes the records, dirs and the image pin. The directory is first
    /// renamed into tmp/, so the container vanishes at once and a crash
    /// midway leaves only tmp/ leftovers (which the store clears).
    pub fn remove(&self, container: &Container) -> Result<(), ContainerError> {
        let _names = FileLock::exclusive(&self.dir.join("names.lock"))?;
        let doomed = self.store.tempdir()?;
        let target = doomed.path().join(container.id());
        std::fs::rename(&container.dir, &target).ctx("move aside", &container.dir)?;
        pins::unpin(&self.store, container.id())?;
        if let Some(cidfile) = &container.config.cidfile
            && std::fs::read_to_string(cidfile).is_ok_and(|id| id.trim() == container.id())
        {
            let _ = std::fs::remove_file(cidfile);
        }
        crate::remove_tree::remove_tree(doomed.path())
    }
}
