//! One container's directory, `containers/<id>/`:
//!
//! ```text
//! config.json   the fixed configuration (written once, by create)
//! state.json    status, monitor and init, times, exit code (replaced whole)
//! ctr.log       the process's stdout and stderr (see log.rs)
//! monitor.log   the monitor's own errors
//! upper/ work/  the overlay's writable layer and scratch dir
//! empty/        the lower dir of an image without layers
//! lock          held by a command acting on the container (start, stop, rm)
//! state.lock    held for a read-modify-write of state.json
//! attach.lock   shared by clients waiting for the exit code of a --rm run
//! attach.sock   the monitor's attach socket (see attach.rs)
//! ```

use std::path::{Path, PathBuf};

use crate::config::ContainerConfig;
use crate::error::{ContainerError, IoContext};
use crate::lock::FileLock;
use crate::state::ContainerState;

#[derive(Debug, Clone)]
pub struct Container {
    pub(crate) dir: PathBuf,
    pub config: ContainerConfig,
}

impl Container {
    pub(crate) fn load(dir: PathBuf) -> Result<Container, ContainerError> {
        let config = read_json(&dir.join("config.json"))?;
        Ok(Container { dir, config })
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("ctr.log")
    }

    pub fn monitor_log_path(&self) -> PathBuf {
        self.dir.join("monitor.log")
    }

    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// The state as last written; see [`Container::refresh`] for one that
    /// accounts for a dead monitor.
    pub fn read_state(&self) -> Result<ContainerState, ContainerError> {
        match read_json(&self.dir.join("state.json")) {
            Err(ContainerError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Err(ContainerError::NotFound(self.id().to_owned()))
            }
            other => other,
        }
    }

    /// Read-modify-write of the state under its lock.
    pub fn update_state<T>(
        &self,
        change: impl FnOnce(&mut ContainerState) -> T,
    ) -> Result<T, ContainerError> {
        let _guard = FileLock::exclusive(&self.dir.join("state.lock"))?;
        let mut state = self.read_state()?;
        let out = change(&mut state);
        write_json(&self.dir, "state.json", &state, false)?;
        Ok(out)
    }

    /// Serializes commands on this container (two stops, rm during start).
    pub fn lock(&self) -> Result<FileLock, ContainerError> {
        match FileLock::exclusive(&self.dir.join("lock")) {
            // Removed since it was found.
            Err(ContainerError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Err(ContainerError::NotFound(self.id().to_owned()))
            }
            other => other,
        }
    }

    pub fn try_lock(&self) -> Result<Option<FileLock>, ContainerError> {
        FileLock::try_exclusive(&self.dir.join("lock"))
    }

    pub(crate) fn attach_lock_path(&self) -> PathBuf {
        self.dir.join("attach.lock")
    }

    /// The state, with a container whose monitor died marked exited (and
    /// whatever is left of its processes killed): liveness is the pid, its
    /// start time and the boot, so a reused pid or a reboot reads as dead.
    pub fn refresh(&self) -> Result<ContainerState, ContainerError> {
        let state = self.read_state()?;
        if !monitor_lost(&state) {
            return Ok(state);
        }
        self.update_state(|state| {
            if monitor_lost(state) {
                let pid = state.monitor.as_ref().map_or(0, |m| m.pid);
                if let Some(init) = &state.init {
                    init.signal(rustix::process::Signal::KILL);
                }
                if let Some(freezer) = &state.freezer {
                    freezer.kill_all();
                    freezer.remove();
                }
                state.monitor_died = true;
                state.exited(
                    None,
                    Some(format!(
                        "the container's monitor (pid {pid}) died; its processes were killed"
                    )),
                );
            }
            state.clone()
        })
    }
}

fn monitor_lost(state: &ContainerState) -> bool {
    state.status.is_active() && !state.monitor.as_ref().is_some_and(|m| m.is_alive())
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ContainerError> {
    let bytes = std::fs::read(path).ctx("read", path)?;
    serde_json::from_slice(&bytes).map_err(|source| ContainerError::Record {
        path: path.to_owned(),
        source,
    })
}

/// Writes `dir/name` aside and renames it into place, so a reader sees the
/// old record or the new one, never a torn one. `durable` adds an fsync
/// (for the config; the state of a dead container is re-derived anyway).
pub(crate) fn write_json<T: serde::Serialize>(
    dir: &Path,
    name: &str,
    value: &T,
    durable: bool,
) -> Result<(), ContainerError> {
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| ContainerError::Record {
        path: tmp.clone(),
        source,
    })?;
    let file = std::fs::File::create(&tmp).ctx("create", &tmp)?;
    std::io::Write::write_all(&mut &file, &bytes).ctx("write", &tmp)?;
    if durable {
        file.sync_all().ctx("fsync", &tmp)?;
    }
    let dest = dir.join(name);
    std::fs::rename(&tmp, &dest).ctx("rename into place", dest)
}
