//! pause/unpause: a cgroup freezer per container, as root (no cgroup
//! delegation for unprivileged users). The monitor joins the container's
//! freezer cgroup just long enough to start the sandbox, so every process
//! of the sandbox is born inside it and the monitor itself is never frozen.
//! cgroup v1 (`freezer.state`) and v2 (`cgroup.freeze`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{ContainerError, IoContext};

const ROOT: &str = "/sys/fs/cgroup";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freezer {
    pub dir: PathBuf,
    pub v2: bool,
}

impl Freezer {
    /// The container's freezer cgroup, created; `None` when there is no
    /// freezer to use (not root, or no freezer hierarchy).
    pub(crate) fn create(id: &str) -> Option<Freezer> {
        if !rustix::process::geteuid().is_root() || strata_executor::rootless::in_user_namespace() {
            return None;
        }
        let root = Path::new(ROOT);
        let (dir, v2) = if root.join("cgroup.controllers").exists() {
            (root.join("strata-containers").join(id), true)
        } else if root.join("freezer/freezer.state").exists()
            || root.join("freezer/cgroup.procs").exists()
        {
            (root.join("freezer/strata").join(id), false)
        } else {
            return None;
        };
        std::fs::create_dir_all(&dir).ok()?;
        Some(Freezer { dir, v2 })
    }

    /// Moves the calling process into the freezer cgroup; returns the
    /// cgroup to go back to.
    pub(crate) fn enter(&self) -> Result<PathBuf, ContainerError> {
        let back = self.current_cgroup()?;
        self.write("cgroup.procs", "0")?;
        Ok(back)
    }

    /// Moves the calling process back to `cgroup` (from [`Freezer::enter`]).
    pub(crate) fn leave(&self, cgroup: &Path) -> Result<(), ContainerError> {
        let procs = cgroup.join("cgroup.procs");
        std::fs::write(&procs, "0").ctx("move the monitor back to", procs)
    }

    pub fn freeze(&self) -> Result<(), ContainerError> {
        if self.v2 {
            self.write("cgroup.freeze", "1")?;
            self.settle(|f| f.read("cgroup.events").contains("frozen 1"))
        } else {
            self.write("freezer.state", "FROZEN")?;
            self.settle(|f| f.read("freezer.state").trim() == "FROZEN")
        }
    }

    pub fn thaw(&self) -> Result<(), ContainerError> {
        if self.v2 {
            self.write("cgroup.freeze", "0")
        } else {
            self.write("freezer.state", "THAWED")
        }
    }

    /// SIGKILL to every process in the cgroup, then a thaw so they can die:
    /// what is left of a container whose monitor died.
    pub(crate) fn kill_all(&self) {
        for pid in self.read("cgroup.procs").lines() {
            if let Some(pid) = pid
                .trim()
                .parse()
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        let _ = self.thaw();
    }

    /// Removes the cgroup once its processes are gone (waits a little for
    /// the dying).
    pub(crate) fn remove(&self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while std::fs::remove_dir(&self.dir).is_err() && self.dir.exists() {
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn settle(&self, done: impl Fn(&Self) -> bool) -> Result<(), ContainerError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self) {
            if Instant::now() >= deadline {
                let _ = self.thaw();
                return Err(ContainerError::Io {
                    what: "freeze",
                    path: self.dir.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the processes did not freeze within 10 s",
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    fn write(&self, file: &str, value: &str) -> Result<(), ContainerError> {
        let path = self.dir.join(file);
        std::fs::write(&path, value).ctx("write", path)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
    }

    /// Our cgroup in the freezer's hierarchy, from /proc/self/cgroup.
    fn current_cgroup(&self) -> Result<PathBuf, ContainerError> {
        let text = std::fs::read_to_string("/proc/self/cgroup").ctx("read", "/proc/self/cgroup")?;
        let wanted = |controllers: &str| {
            if self.v2 {
                controllers.is_empty()
            } else {
                controllers.split(',').any(|c| c == "freezer")
            }
        };
        let rel = text
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                wanted(controllers).then(|| path.trim_start_matches('/').to_owned())
            })
            .next()
            .unwrap_or_default();
        let base = if self.v2 {
            PathBuf::from(ROOT)
        } else {
            Path::new(ROOT).join("freezer")
        };
        Ok(base.join(rel))
    }
}
