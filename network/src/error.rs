use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("network record {}: {source}", path.display())]
    Record {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("network {0:?} already exists")]
    Exists(String),
    #[error("no network named {0:?}")]
    NotFound(String),
    #[error(
        "{0:?} is not a valid network name: use letters, digits, '_', '.', '-' (first a letter or digit), at most 64"
    )]
    BadName(String),
    #[error("network {0:?} is predefined and cannot be removed")]
    Predefined(String),
    #[error("network {name:?} is in use by container(s) {}", containers.join(", "))]
    InUse {
        name: String,
        containers: Vec<String>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("container {0} is not running on a network")]
    NotAttached(String),
    #[error("container {container} is already connected to network {network:?}")]
    AlreadyConnected { container: String, network: String },
    #[error("container {container} is not connected to network {network:?}")]
    NotConnected { container: String, network: String },
    #[error("no free subnet: every candidate overlaps a route or another network")]
    NoSubnet,
    #[error("network {network:?} has no free address left in {subnet}")]
    Exhausted { network: String, subnet: String },
    #[error("address {ip} on network {network:?} is already in use by container {holder}")]
    AddressTaken {
        network: String,
        ip: String,
        holder: String,
    },
    #[error("host port {port}/{proto} on {ip} is already in use{by}")]
    PortTaken {
        ip: String,
        port: u16,
        proto: String,
        by: String,
    },
    #[error("no free host port for {proto} on {ip} in {low}-{high}")]
    NoFreePort {
        ip: String,
        proto: String,
        low: u16,
        high: u16,
    },
    /// Callers add the way around it (a build's `--network host`).
    #[error("{0}: not found: install Debian's passt package (apt-get install passt)")]
    PastaMissing(String),
    #[error("{tool}: {msg}")]
    Tool { tool: String, msg: String },
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { what, path, source }
}
