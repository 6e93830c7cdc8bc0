//! The image config as docker build writes it: the OCI fields plus the
//! Docker extensions (Healthcheck, Shell, OnBuild, ArgsEscaped) that
//! oci-spec's type drops. Maps are BTreeMaps so the JSON, and so the
//! digest, is the same on every run.

pub mod apply;
mod env_index;
pub mod types;

pub use apply::StageConfig;
pub use types::{ContainerConfig, Healthcheck, History, ImageConfig, RootFs};

/// Docker's default PATH, set when the base image has none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
