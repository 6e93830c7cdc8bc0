use std::path::PathBuf;

/// Why a sandboxed run could not start or be waited for. The process's own
/// failure is not an error: it is its [`crate::ExitStatus`].
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("the command is empty")]
    EmptyCommand,
    #[error("{0}: command not found in the image")]
    CommandNotFound(String),
    #[error("cannot execute {command}: {reason}")]
    CannotExecute { command: String, reason: String },
    #[error("unknown user {0:?} (not in the image's /etc/passwd)")]
    UnknownUser(String),
    #[error("unknown group {0:?} (not in the image's /etc/group)")]
    UnknownGroup(String),
    #[error("invalid path {path}: {reason}")]
    InvalidPath { path: PathBuf, reason: &'static str },
    #[error("cannot set up the sandbox: {0}")]
    Setup(String),
    #[error("cgroup {what}: {source}")]
    Cgroup {
        what: String,
        source: std::io::Error,
    },
    #[error("{limit} limits need cgroups; not available here: {reason}")]
    LimitUnsupported { limit: &'static str, reason: String },
    // podman's wording, for the same case.
    #[error(
        "device cgroup rules are not supported in rootless mode or in other non-privileged contexts"
    )]
    DeviceRulesUnsupported,
    #[error(
        "this binary was started as a sandbox init but its main does not call strata_executor::init_if_requested (set STRATA_INIT_EXE to the strata binary)"
    )]
    InitNotHooked,
    #[error("cannot enter the rootless user namespace: {0}")]
    Rootless(String),
    #[error("cannot start the sandbox init: {0}")]
    Spawn(std::io::Error),
    #[error("waiting for the sandbox: {0}")]
    Wait(std::io::Error),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::SeccompError),
    #[error("serializing the run spec: {0}")]
    Spec(#[from] serde_json::Error),
}
