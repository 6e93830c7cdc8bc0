//! The parent side: start the init (our own binary, re-executed) with the
//! spec, then wait for it and read back how the process ended.

use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::{Pid, Signal};

use crate::cgroup::Cgroup;
use crate::devices::Want;
use crate::init::{ENV_CONFIG, ENV_GO_FD, ENV_REPORT_FD, InitConfig};
use crate::seccomp::{Programs, compiled, default_profile};
use crate::{ExecError, ExitStatus, Mount, RunSpec, SeccompPolicy, Security};

/// The binary re-executed as the sandbox init: by default the current one,
/// whose `main` calls [`crate::init_if_requested`]. Tests whose harness
/// does not can point this at the `strata` binary.
pub const ENV_INIT_EXE: &str = "STRATA_INIT_EXE";

/// Where the process's stdio goes. `None` inherits the caller's.
#[derive(Debug, Default)]
pub struct Stdio {
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
}

impl Stdio {
    pub fn inherit() -> Self {
        Self::default()
    }
}

pub struct Sandbox;

impl Sandbox {
    /// Starts `spec.args` in a new sandbox. Returns once the init runs; setup
    /// failures inside the sandbox surface from [`Running::wait`].
    pub fn spawn(spec: &RunSpec, stdio: Stdio) -> Result<Running, ExecError> {
        if spec.args.is_empty() {
            return Err(ExecError::EmptyCommand);
        }
        let seccomp = seccomp_programs(&spec.security)?;
        // Inside the rootless namespace the init already has one, with
        // subordinate ids a nested map could not give it again.
        let userns =
            !crate::rootless::entered() && (spec.userns || !rustix::process::geteuid().is_root());
        let own_devices = crate::device_cgroup::wanted(spec);
        if !spec.device_rules.is_empty() && !own_devices && spec.security.device_policy() {
            return Err(ExecError::DeviceRulesUnsupported);
        }
        let grants = own_devices.then(|| crate::device_cgroup::grants(spec));
        let mut devices = device_cgroup(spec);
        // An init in a user namespace of its own may not write the
        // cgroup filesystem: then we move it, before it forks. A limited
        // run on a v2-only host carries the device program on its own
        // cgroup (see Cgroup::create), which pid 1 must not leave.
        let own_program = spec.limits.any() && crate::devices::shares_limits_hierarchy();
        let device_move = match userns || own_program || own_devices {
            false => crate::devices::pid1_move(devices)?,
            true => None,
        };
        if device_move.is_some() {
            devices = Want::Either;
        }
        let cgroup = Cgroup::create(&spec.limits, devices, grants.as_deref())?;
        let config = InitConfig {
            spec: spec.clone(),
            userns,
            seccomp,
            device_move,
            own_devices,
        };
        let (report_read, report_write) =
            pipe_with(PipeFlags::CLOEXEC).map_err(|e| ExecError::Spawn(e.into()))?;
        // With a cgroup, the init waits on this pipe until we have moved it
        // in: the move waits out an RCU grace period (milliseconds), which
        // then overlaps with the init's exec instead of following it.
        let go = match &cgroup {
            Some(_) => Some(pipe_with(PipeFlags::CLOEXEC).map_err(|e| ExecError::Spawn(e.into()))?),
            None => None,
        };
        // A binary that was started as an init but did not call
        // `init_if_requested` (a test harness, say) must not recurse.
        if std::env::var_os(ENV_CONFIG).is_some() {
            return Err(ExecError::InitNotHooked);
        }
        // "strata-init": what `ps` inside shows for pid 1, not a host path.
        let mut cmd = reexec(
            "strata-init",
            ENV_CONFIG,
            &serde_json::to_string(&config)?,
            &report_write,
            stdio,
        )?;
        if let Some((go_read, _)) = &go {
            cmd.env(ENV_GO_FD, go_read.as_raw_fd().to_string());
            crate::sys::keep_across_exec(&mut cmd, go_read.as_raw_fd());
        }
        let spawned = cmd.spawn();
        drop(report_write);
        let (go_read, go_write) = go.unzip();
        drop(go_read);
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                if let Some(cg) = cgroup {
                    cg.remove();
                }
                return Err(ExecError::Spawn(e));
            }
        };
        if let (Some(cg), Some(go)) = (&cgroup, go_write) {
            if let Err(e) = cg.add(child.id()) {
                // Without its go byte the init gives up; make sure of it.
                let _ = child.kill();
                let _ = child.wait();
                if let Some(cg) = cgroup {
                    cg.remove();
                }
                return Err(e);
            }
            let mut go = File::from(go);
            // A write error means the init already died; wait() reports it.
            let _ = std::io::Write::write_all(&mut go, b"g");
        }
        Ok(Running {
            child,
            report: File::from(report_read),
            cgroup,
            out_of_memory: false,
        })
    }
}

/// Where the run must be with respect to the devices cgroup. Under
/// the policy every mount the sandbox makes writable is nodev (root,
/// /dev, /dev/shm, tmpfs) or read-only, devpts refuses mknod, and the
/// workload can mount nothing: a device node is openable only through a
/// bind from the host (`-v`, `RUN --mount`), which keeps the host's flags.
/// Without one the cgroup adds nothing, and is skipped: moving into it
/// waits out an RCU grace period, most of a `run`'s policy cost.
fn device_cgroup(spec: &RunSpec) -> Want {
    if !spec.security.device_policy() {
        Want::Outside
    } else if spec.mounts.iter().any(|m| matches!(m, Mount::Bind { .. })) {
        Want::Inside
    } else {
        Want::Either
    }
}

/// Our own binary (or `ENV_INIT_EXE`), to be re-executed as `arg0` with
/// only `config_env` = `config` and the report pipe's number in its
/// environment, the pipe's write end kept open across the exec, and the
/// caller's stdio.
pub(crate) fn reexec(
    arg0: &str,
    config_env: &str,
    config: &str,
    report_write: &impl AsRawFd,
    stdio: Stdio,
) -> Result<std::process::Command, ExecError> {
    let exe = match std::env::var_os(ENV_INIT_EXE) {
        Some(path) => std::path::PathBuf::from(path),
        None => std::env::current_exe().map_err(ExecError::Spawn)?,
    };
    let mut cmd = std::process::Command::new(exe);
    std::os::unix::process::CommandExt::arg0(&mut cmd, arg0);
    cmd.env_clear()
        .env(config_env, config)
        .env(ENV_REPORT_FD, report_write.as_raw_fd().to_string());
    crate::sys::keep_across_exec(&mut cmd, report_write.as_raw_fd());
    if let Some(fd) = stdio.stdin {
        cmd.stdin(fd);
    }
    if let Some(fd) = stdio.stdout {
        cmd.stdout(fd);
    }
    if let Some(fd) = stdio.stderr {
        cmd.stderr(fd);
    }
    Ok(cmd)
}

/// The filters the workload loads before exec, compiled here (once per
/// policy and capability set) rather than in every init.
pub(crate) fn seccomp_programs(security: &Security) -> Result<Programs, ExecError> {
    let caps = security.capabilities();
    let compiled = match &security.seccomp {
        SeccompPolicy::Unconfined => return Ok(Programs::default()),
        SeccompPolicy::Default => {
            static DEFAULT: std::sync::OnceLock<crate::seccomp::Profile> =
                std::sync::OnceLock::new();
            compiled(DEFAULT.get_or_init(default_profile), &caps)
        }
        SeccompPolicy::Profile(profile) => compiled(profile, &caps),
    };
    Ok((*compiled?).clone())
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: ExitStatus,
    /// The memory limit's OOM killer struck (the process, or one of its
    /// children).
    pub out_of_memory: bool,
}

/// A sandbox that has started.
pub struct Running {
    child: std::process::Child,
    report: File,
    cgroup: Option<Cgroup>,
    out_of_memory: bool,
}

impl Running {
    /// The pid of the init, outside the sandbox.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `sig` to the init, which forwards it to the process.
    pub fn signal(&self, sig: Signal) {
        if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
            // The init may already be gone; nothing to forward then.
            let _ = rustix::process::kill_process(pid, sig);
        }
    }

    /// Waits for the process (and the sandbox's teardown).
    pub fn wait(self) -> Result<ExitStatus, ExecError> {
        self.wait_outcome().map(|o| o.status)
    }

    /// Like [`Running::wait`], also telling whether the memory limit killed
    /// a process of the run.
    pub fn wait_outcome(mut self) -> Result<Outcome, ExecError> {
        let status = self.child.wait().map_err(ExecError::Wait);
        let status = self.finish(status)?;
        Ok(Outcome {
            status,
            out_of_memory: self.out_of_memory,
        })
    }

    /// After [`Running::try_wait`] returned a status: whether the memory
    /// limit killed a process of the run.
    pub fn out_of_memory(&self) -> bool {
        self.out_of_memory
    }

    /// Like [`Running::wait`] but does not block: `Ok(None)` while running.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, ExecError> {
        match self.child.try_wait().map_err(ExecError::Wait)? {
            None => Ok(None),
            Some(status) => self.finish(Ok(status)).map(Some),
        }
    }

    fn finish(
        &mut self,
        status: Result<std::process::ExitStatus, ExecError>,
    ) -> Result<ExitStatus, ExecError> {
        if let Some(cg) = self.cgroup.take() {
            self.out_of_memory = cg.out_of_memory();
            cg.remove();
        }
        let status = status?;
        crate::status::read_outcome(&mut self.report, status)
    }
}
