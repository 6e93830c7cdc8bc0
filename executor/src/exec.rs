//! The parent side of `exec`: a process started inside a running sandbox
//! (its namespaces, cgroups and confinement), through our binary
//! re-executed as a joiner (see init/join.rs), whose `main` must call
//! [`crate::join_if_requested`].

use std::fs::File;

use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::{Pid, Signal};

use crate::init::{ENV_JOIN, JoinConfig};
use crate::{ExecError, ExitStatus, RunSpec, Stdio};

/// A process started by [`exec_in`].
pub struct Joined {
    child: std::process::Child,
    report: File,
}

/// Starts `spec.args` (with its env, cwd and user) inside the sandbox whose
/// outer init is `init_pid` ([`crate::Running::pid`]).
pub fn exec_in(init_pid: u32, spec: &RunSpec, stdio: Stdio) -> Result<Joined, ExecError> {
    if spec.args.is_empty() {
        return Err(ExecError::EmptyCommand);
    }
    let config = JoinConfig {
        target: init_pid,
        spec: spec.clone(),
        // The same filter as the container's process: exec gets its confinement.
        seccomp: crate::sandbox::seccomp_programs(&spec.security)?,
        device_cgroup2: crate::devices::separate_cgroup2(),
    };
    let (report_read, report_write) =
        pipe_with(PipeFlags::CLOEXEC).map_err(|e| ExecError::Spawn(e.into()))?;
    let mut cmd = crate::sandbox::reexec(
        "strata-exec",
        ENV_JOIN,
        &serde_json::to_string(&config)?,
        &report_write,
        stdio,
    )?;
    let spawned = cmd.spawn();
    drop(report_write);
    Ok(Joined {
        child: spawned.map_err(ExecError::Spawn)?,
        report: File::from(report_read),
    })
}

impl Joined {
    /// Forwarded by the joiner to the process.
    pub fn signal(&self, sig: Signal) {
        if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
            let _ = rustix::process::kill_process(pid, sig);
        }
    }

    /// `Ok(None)` while the process runs.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, ExecError> {
        match self.child.try_wait().map_err(ExecError::Wait)? {
            None => Ok(None),
            Some(status) => self.finish(status).map(Some),
        }
    }

    fn finish(&mut self, status: std::process::ExitStatus) -> Result<ExitStatus, ExecError> {
        crate::status::read_outcome(&mut self.report, status)
    }
}
