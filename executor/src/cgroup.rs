//! Memory and pids limits. The parent (outside any namespace) creates one
//! cgroup per run and removes it after; the init joins it before it forks,
//! so every process of the run is accounted from its first instruction.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{ExecError, Limits};

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroup directories of one run (one per v1 controller, or one v2 dir).
#[derive(Debug)]
pub(crate) struct Cgroup {
    dirs: Vec<PathBuf>,
}

impl Cgroup {
    /// Creates the cgroup and sets `limits`; `None` when there is no limit.
    pub(crate) fn create(limits: &Limits) -> Result<Option<Self>, ExecError> {
        if limits.memory.is_none() && limits.pids.is_none() {
            return Ok(None);
        }
        if !rustix::process::geteuid().is_root() {
            return Err(ExecError::LimitUnsupported {
                limit: if limits.memory.is_some() {
                    "memory"
                } else {
                    "pids"
                },
                reason: "cgroup delegation for unprivileged users is not supported".into(),
            });
        }
        let name = unique_name();
        let cgroup = if Path::new(ROOT).join("cgroup.controllers").exists() {
            Self::create_v2(&name, limits)?
        } else {
            Self::create_v1(&name, limits)?
        };
        Ok(Some(cgroup))
    }

    fn create_v1(name: &str, limits: &Limits) -> Result<Self, ExecError> {
        let mut cgroup = Self { dirs: Vec::new() };
        if let Some(bytes) = limits.memory {
            let dir = cgroup.make_dir(&Path::new(ROOT).join("memory/strata"), name, "memory")?;
            write(&dir.join("memory.limit_in_bytes"), bytes)?;
            // Without a swap limit the process would page out instead of
            // being killed; the file only exists when swap accounting is on.
            let memsw = dir.join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                write(&memsw, bytes)?;
            }
        }
        if let Some(n) = limits.pids {
            let dir = cgroup.make_dir(&Path::new(ROOT).join("pids/strata"), name, "pids")?;
            write(&dir.join("pids.max"), n)?;
        }
        Ok(cgroup)
    }

    fn create_v2(name: &str, limits: &Limits) -> Result<Self, ExecError> {
        let parent = Path::new(ROOT).join("strata");
        std::fs::create_dir_all(&parent).map_err(|source| cg_err(&parent, source))?;
        // Controllers must be enabled on every ancestor's subtree_control.
        for dir in [Path::new(ROOT), &parent] {
            let ctl = dir.join("cgroup.subtree_control");
            std::fs::write(&ctl, "+memory +pids").map_err(|source| cg_err(&ctl, source))?;
        }
        let mut cgroup = Self { dirs: Vec::new() };
        let dir = cgroup.make_dir(&parent, name, "v2")?;
        if let Some(bytes) = limits.memory {
            write(&dir.join("memory.max"), bytes)?;
            let swap = dir.join("memory.swap.max");
            if swap.exists() {
                write(&swap, 0)?;
            }
        }
        if let Some(n) = limits.pids {
            write(&dir.join("pids.max"), n)?;
        }
        Ok(cgroup)
    }

    fn make_dir(
        &mut self,
        parent: &Path,
        name: &str,
        controller: &str,
    ) -> Result<PathBuf, ExecError> {
        if !parent.parent().is_some_and(Path::exists) {
            return Err(ExecError::LimitUnsupported {
                limit: if controller == "pids" {
                    "pids"
                } else {
                    "memory"
                },
                reason: format!("{} is not mounted", parent.display()),
            });
        }
        let dir = parent.join(name);
        std::fs::create_dir_all(&dir).map_err(|source| cg_err(&dir, source))?;
        self.dirs.push(dir.clone());
        Ok(dir)
    }

    /// The `cgroup.procs` files the init writes its pid into.
    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// Removes the directories once every task of the run is gone.
    pub(crate) fn remove(self) {
        for dir in &self.dirs {
            // The last task may still be exiting; rmdir fails with EBUSY
            // until it is gone.
            for _ in 0..100 {
                match std::fs::remove_dir(dir) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    _ => break,
                }
            }
        }
    }
}

fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "run-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn write(path: &Path, value: u64) -> Result<(), ExecError> {
    std::fs::write(path, value.to_string()).map_err(|source| cg_err(path, source))
}

fn cg_err(path: &Path, source: std::io::Error) -> ExecError {
    ExecError::Cgroup {
        what: path.display().to_string(),
        source,
    }
}
