//! Build cache that travels: records and their layer blobs exported as an
//! OCI artifact (to a registry or an OCI layout directory) and imported on
//! another machine, where a step whose key matches unpacks the record's
//! layer instead of running.
//!
//! The artifact is an OCI image manifest whose config (media type
//! [`CONFIG_MEDIA_TYPE`]) lists the records, and whose layers are the
//! records' layer blobs.

mod adopt;
mod error;
mod export;
mod format;
mod layout;
mod mounts;
mod registry;
mod spec;

pub use adopt::adopt;
pub use error::RemoteError;
pub use export::{Artifact, export, export_with_mounts};
pub use format::{CacheConfig, ExportedRecord, Imported};
pub use layout::{read_layout, write_layout};
pub use mounts::{ExportedMount, export_mounts, fill_mount};
pub use registry::{RegistryAccess, pull, push};
pub use spec::{CacheFrom, CacheMode, CacheTo};

/// The config blob of a cache artifact (and the manifest's artifactType).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.strata.cache.config.v1+json";

#[cfg(test)]
mod tests;
