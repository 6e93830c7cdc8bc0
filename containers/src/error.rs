//! Every way a container command can fail, each with the context a user
//! needs to act on it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("no container with name or id {0:?}")]
    NotFound(String),
    #[error("{query:?} matches several containers: {ids}")]
    Ambiguous { query: String, ids: String },
    #[error("the name {name:?} is already in use by container {id}")]
    NameTaken { name: String, id: String },
    #[error(
        "invalid container name {0:?}: use letters, digits and _.- (starting with a letter or digit)"
    )]
    InvalidName(String),
    #[error("container {0} is not running")]
    NotRunning(String),
    #[error("container {0} is already running")]
    AlreadyRunning(String),
    #[error("container {0} is running: stop it first, or remove it with rm -f")]
    StillRunning(String),
    #[error("container {0} is paused")]
    Paused(String),
    #[error("container {0} is not paused")]
    NotPaused(String),
    #[error(
        "container {0} cannot be paused: pause needs the cgroup freezer, which strata uses only as root (no cgroup delegation for unprivileged users)"
    )]
    PauseUnsupported(String),
    #[error("unknown signal {0:?}")]
    BadSignal(String),
    #[error("signal {0:?} cannot be sent to a container: the sandbox's init does not forward it")]
    NotForwarded(String),
    #[error("the monitor of container {id} did not start: {reason}")]
    MonitorFailed { id: String, reason: String },
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid record: {source}", path.display())]
    Record {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no volume named {0:?}")]
    VolumeNotFound(String),
    #[error("volume {0:?} already exists")]
    VolumeExists(String),
    #[error(
        "invalid volume name {0:?}: use letters, digits and _.- (at least 2, starting with a letter or digit)"
    )]
    InvalidVolumeName(String),
    #[error("volume {name} is being used by container(s) {ids}: remove them first, or use -f")]
    VolumeInUse { name: String, ids: String },
    #[error("commit: {0}")]
    Commit(String),
    #[error(transparent)]
    Store(#[from] strata_store::StoreError),
    #[error("container {0} is not on container networks (it was made with --network host or none)")]
    NoNetworks(String),
    #[error("network: {0}")]
    Network(#[from] strata_network::Error),
    /// Rootless strata's default network needs pasta: say the way around.
    #[error("network: {0}; or make the container with the host's network: --network host")]
    PastaMissing(strata_network::Error),
    #[error(transparent)]
    Exec(#[from] strata_executor::ExecError),
}

/// Adds the action and path to an io error.
pub(crate) trait IoContext<T> {
    fn ctx(self, what: &'static str, path: impl Into<PathBuf>) -> Result<T, ContainerError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, what: &'static str, path: impl Into<PathBuf>) -> Result<T, ContainerError> {
        self.map_err(|source| ContainerError::Io {
            what,
            path: path.into(),
            source,
        })
    }
}
