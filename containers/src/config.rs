//! A container's fixed configuration, written once by `create`:
//! `containers/<id>/config.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use strata_executor::RunSpec;

use crate::time::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerConfig {
    /// 64 hex digits; the first 12 are the short id commands print.
    pub id: String,
    pub name: String,
    /// The image as the user named it.
    pub image: String,
    /// The image's manifest digest at create time (a `sha256:…` string in
    /// the record, as before it was typed).
    pub image_digest: strata_store::Digest,
    pub created: Timestamp,
    pub labels: BTreeMap<String, String>,
    /// `--rm`: the container removes itself when its process ends.
    pub auto_remove: bool,
    #[serde(default)]
    pub restart: crate::RestartPolicy,
    /// What `stop` sends first (`--stop-signal`, else the image's
    /// StopSignal); `None`: TERM.
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// Seconds `stop` waits before SIGKILL (`--stop-timeout`); `None`: 10.
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    #[serde(default)]
    pub health: Option<crate::HealthConfig>,
    /// `--cidfile`: removed with the container (podman's rule), if it
    /// still holds the id.
    #[serde(default)]
    pub cidfile: Option<std::path::PathBuf>,
    /// `-i`: the process's stdin stays open for attached clients' input.
    #[serde(default)]
    pub stdin_open: bool,
    /// With `stdin_open`: the first attached client's end of input closes
    /// the process's stdin (docker's StdinOnce, set by `run -i` attached).
    #[serde(default)]
    pub stdin_once: bool,
    /// Everything the sandbox needs; the monitor starts exactly this
    /// (on the networks below, when there are any).
    pub spec: RunSpec,
    /// `--network bridge|NAME[,NAME2]` and its flags: the monitor sets the
    /// networks up before each start and tears them down at each exit.
    /// `None`: the spec's host or no network.
    #[serde(default)]
    pub network: Option<strata_network::Request>,
    /// `--network container:NAME`: the id of the container whose network
    /// namespace each start joins (see network_join.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_container: Option<String>,
}

/// docker's default stop timeout.
pub const DEFAULT_STOP_TIMEOUT: u64 = 10;

impl ContainerConfig {
    pub fn stop_signal(&self) -> &str {
        self.stop_signal.as_deref().unwrap_or("TERM")
    }

    pub fn stop_timeout(&self) -> u64 {
        self.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT)
    }

    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}
