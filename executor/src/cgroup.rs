//! Memory and pids limits. The parent (outside any namespace) creates one
//! cgroup per run and removes it after; the init joins it before it forks,
//! so every process of the run is accounted from its first instruction.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::devices::Want;
use crate::{DeviceRule, ExecError, Limits};

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroup directories of one run (one per v1 controller, or one v2 dir).
#[derive(Debug)]
pub(crate) struct Cgroup {
    dirs: Vec<PathBuf>,
    /// `cgroup.procs` of shared cgroups the run joins but does not own.
    joined: Vec<PathBuf>,
    /// The file whose `oom_kill N` line counts memory-limit kills.
    oom_events: Option<PathBuf>,
}

impl Cgroup {
    /// Creates the cgroup, sets `limits` and puts the run where `devices`
    /// wants it; `None` when there is nothing to set.
    ///
    /// The device policy needs root and a hierarchy for it (devices.rs). Without
    /// root the run has a user namespace, whose mounts the kernel makes
    /// nodev and where mknod is denied, so there is nothing to add. On a
    /// v2-only host a limited run's own cgroup gets the device program
    /// (a process is in one v2 cgroup, so it cannot join the policy's too).
    ///
    /// `grants`: a run given devices (device_cgroup.rs) gets a devices
    /// cgroup of its own holding the policy plus these, instead of joining
    /// the policy's; on a v2-only host a limited run's one cgroup is it.
    pub(crate) fn create(
        limits: &Limits,
        devices: Want,
        grants: Option<&[DeviceRule]>,
    ) -> Result<Option<Self>, ExecError> {
        // Root of a rootless namespace is still an unprivileged user to the
        // cgroup filesystem.
        let root = rustix::process::geteuid().is_root() && !crate::rootless::entered();
        let own_program = limits.any() && crate::devices::shares_limits_hierarchy();
        let device_move = if crate::devices::available() && !own_program && grants.is_none() {
            crate::devices::move_for(devices)?
        } else {
            None
        };
        if !limits.any() && device_move.is_none() && grants.is_none() {
            return Ok(None);
        }
        if !root {
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
        let mut cgroup = if limits.any() || device_move.is_some() {
            Self::create_in(Path::new(ROOT), &name, limits, device_move)?
        } else {
            Self {
                dirs: Vec::new(),
                joined: Vec::new(),
                oom_events: None,
            }
        };
        let confined = if own_program && crate::devices::available() {
            // One v2 cgroup per process: the limits' carries the program.
            match (grants, devices) {
                (Some(grants), _) => cgroup.confine_each(grants),
                (None, Want::Inside) => cgroup.confine_each(&[]),
                (None, _) => Ok(()),
            }
        } else if let Some(grants) = grants {
            crate::device_cgroup::create(&name, grants).map(|dir| cgroup.dirs.push(dir))
        } else {
            Ok(())
        };
        if let Err(e) = confined {
            cgroup.remove();
            return Err(e);
        }
        Ok(Some(cgroup))
    }

    fn confine_each(&self, grants: &[DeviceRule]) -> Result<(), ExecError> {
        self.dirs
            .iter()
            .try_for_each(|dir| crate::devices::confine(dir, grants))
    }

    /// Under the cgroup filesystem mounted at `root`: the unified (v2)
    /// hierarchy when it has cgroup.controllers, else v1 controller dirs.
    /// `device_move`: the shared devices cgroup (its cgroup.procs) the run
    /// is moved into, if any; see [`crate::devices::move_for`].
    fn create_in(
        root: &Path,
        name: &str,
        limits: &Limits,
        device_move: Option<PathBuf>,
    ) -> Result<Self, ExecError> {
        if root.join("cgroup.controllers").exists() {
            Self::create_v2(root, name, limits)
        } else {
            Self::create_v1(root, name, limits, device_move)
        }
    }

    fn create_v1(
        root: &Path,
        name: &str,
        limits: &Limits,
        device_move: Option<PathBuf>,
    ) -> Result<Self, ExecError> {
        let mut cgroup = Self {
            dirs: Vec::new(),
            joined: device_move.into_iter().collect(),
            oom_events: None,
        };
        if let Some(bytes) = limits.memory {
            let dir = cgroup.make_dir(&root.join("memory/strata"), name, "memory")?;
            write(&dir.join("memory.limit_in_bytes"), bytes)?;
            cgroup.oom_events = Some(dir.join("memory.oom_control"));
            // Without a swap limit the process would page out instead of
            // being killed; the file only exists when swap accounting is on.
            let memsw = dir.join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                write(&memsw, bytes)?;
            }
        }
        if let Some(n) = limits.pids {
            let dir = cgroup.make_dir(&root.join("pids/strata"), name, "pids")?;
            write(&dir.join("pids.max"), n)?;
        }
        Ok(cgroup)
    }

    fn create_v2(root: &Path, name: &str, limits: &Limits) -> Result<Self, ExecError> {
        let parent = root.join("strata");
        std::fs::create_dir_all(&parent).map_err(|source| cg_err(&parent, source))?;
        // Controllers must be enabled on every ancestor's subtree_control.
        for dir in [root, &parent] {
            let ctl = dir.join("cgroup.subtree_control");
            std::fs::write(&ctl, "+memory +pids").map_err(|source| cg_err(&ctl, source))?;
        }
        let mut cgroup = Self {
            dirs: Vec::new(),
            joined: Vec::new(),
            oom_events: None,
        };
        let dir = cgroup.make_dir(&parent, name, "v2")?;
        if let Some(bytes) = limits.memory {
            write(&dir.join("memory.max"), bytes)?;
            cgroup.oom_events = Some(dir.join("memory.events"));
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

    /// Moves process `pid` (the init, before it forks) into every
    /// directory of the run.
    pub(crate) fn add(&self, pid: u32) -> Result<(), ExecError> {
        let procs = self
            .dirs
            .iter()
            .map(|d| d.join("cgroup.procs"))
            .chain(self.joined.iter().cloned());
        for file in procs {
            std::fs::write(&file, pid.to_string()).map_err(|source| cg_err(&file, source))?;
        }
        Ok(())
    }

    #[cfg(test)]
    fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .map(|d| d.join("cgroup.procs"))
            .chain(self.joined.iter().cloned())
            .collect()
    }

    /// Whether the kernel killed a task of this run for exceeding the
    /// memory limit.
    pub(crate) fn out_of_memory(&self) -> bool {
        let Some(path) = &self.oom_events else {
            return false;
        };
        std::fs::read_to_string(path).is_ok_and(|text| {
            text.lines()
                .filter_map(|l| l.strip_prefix("oom_kill "))
                .any(|n| n.trim().parse::<u64>().is_ok_and(|n| n > 0))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    /// A directory tree standing in for the cgroup filesystem: these tests
    /// check what gets written where, not the kernel's enforcement (the
    /// end-to-end tests do that on the machine's real hierarchy).
    #[test]
    fn v2_writes_limits_into_one_dir_with_controllers_enabled_above() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("cgroup.controllers"), "memory pids").unwrap();
        let limits = Limits {
            memory: Some(64 << 20),
            pids: Some(32),
        };
        let cg = Cgroup::create_in(root.path(), "run-1", &limits, None).unwrap();
        let dir = root.path().join("strata/run-1");
        assert_eq!(cg.procs_files(), [dir.join("cgroup.procs")]);
        assert_eq!(read(&dir.join("memory.max")), (64u64 << 20).to_string());
        assert_eq!(read(&dir.join("pids.max")), "32");
        assert!(!cg.out_of_memory());
        std::fs::write(
            dir.join("memory.events"),
            "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
        )
        .unwrap();
        assert!(cg.out_of_memory());
        assert_eq!(
            read(&root.path().join("cgroup.subtree_control")),
            "+memory +pids"
        );
        assert_eq!(
            read(&root.path().join("strata/cgroup.subtree_control")),
            "+memory +pids"
        );
    }

    #[test]
    fn v1_uses_one_dir_per_controller_and_only_those_limited() {
        let root = tempfile::tempdir().unwrap();
        for controller in ["memory", "pids"] {
            std::fs::create_dir(root.path().join(controller)).unwrap();
        }
        let limits = Limits {
            memory: None,
            pids: Some(8),
        };
        let cg = Cgroup::create_in(root.path(), "run-2", &limits, None).unwrap();
        assert_eq!(
            cg.procs_files(),
            [root.path().join("pids/strata/run-2/cgroup.procs")]
        );
        assert_eq!(read(&root.path().join("pids/strata/run-2/pids.max")), "8");
        assert!(!root.path().join("memory/strata").exists());
    }

    #[test]
    fn a_missing_controller_is_reported_not_ignored() {
        let root = tempfile::tempdir().unwrap();
        let limits = Limits {
            memory: Some(1 << 20),
            pids: None,
        };
        let err = Cgroup::create_in(root.path(), "run-3", &limits, None).unwrap_err();
        assert!(
            matches!(
                err,
                ExecError::LimitUnsupported {
                    limit: "memory",
                    ..
                }
            ),
            "{err}"
        );
    }
}
