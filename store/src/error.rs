//! The one error type of the store crate.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("invalid digest {0:?}: expected sha256:<64 lowercase hex>")]
    InvalidDigest(String),
    #[error(transparent)]
    InvalidReference(#[from] crate::reference::ReferenceError),
    #[error("invalid snapshot id {0:?}: use letters, digits, '-', '_' and '.' only")]
    InvalidSnapshotId(String),
    #[error(
        "invalid transport {0:?}: expected oci:DIR[:REF], oci-archive:FILE[:REF] or docker-archive:FILE[:NAME[:TAG]]"
    )]
    InvalidTransport(String),
    #[error("blob {0} is not in the store")]
    BlobMissing(String),
    #[error("blob content does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch { expected: String, actual: String },
    #[error("layer content does not match the config's diff_id: expected {expected}, got {actual}")]
    DiffIdMismatch { expected: String, actual: String },
    #[error("blob {digest} has size {actual}, its descriptor says {expected}")]
    SizeMismatch {
        digest: String,
        expected: u64,
        actual: u64,
    },
    #[error("image {image} has no manifest for platform {platform} (it has: {available})")]
    NoMatchingPlatform {
        image: String,
        platform: String,
        available: String,
    },
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("image {0} not found")]
    ImageNotFound(String),
    #[error("{0} is ambiguous in the source: it names several images, give a reference")]
    AmbiguousSource(String),
    #[error("malformed {what}: {reason}")]
    Malformed { what: String, reason: String },
    #[error("layer rejected: entry {entry:?}: {reason}")]
    HostileLayer { entry: String, reason: String },
    #[error(
        "layer {layer}expands past the size limit of {limit} bytes (at entry {entry:?}); raise --max-layer-size if it is legitimate"
    )]
    LayerTooLarge {
        /// What the layer is, with a trailing space, or empty.
        layer: String,
        entry: String,
        limit: u64,
    },
    #[error("layer is corrupt or truncated: {0}")]
    CorruptLayer(String),
    #[error("cannot write layer from {path}: {reason}")]
    UnsupportedFile { path: PathBuf, reason: String },
    #[error(
        "{path}: cannot give it owner {uid}:{gid}, an id this user namespace does not map (a rootless store without subordinate ids in /etc/subuid and /etc/subgid has root only)"
    )]
    UnmappedOwner { path: PathBuf, uid: u32, gid: u32 },
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("oci spec: {0}")]
    Spec(#[from] oci_spec::OciSpecError),
}

impl StoreError {
    pub(crate) fn malformed(what: impl Into<String>, reason: impl ToString) -> Self {
        StoreError::Malformed {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// Names the layer an error of its unpacking is about.
    pub fn in_layer(self, layer: &str) -> Self {
        match self {
            StoreError::LayerTooLarge { entry, limit, .. } => StoreError::LayerTooLarge {
                layer: format!("{layer} "),
                entry,
                limit,
            },
            other => other,
        }
    }

    pub(crate) fn hostile(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::HostileLayer {
            entry: entry.into(),
            reason: reason.into(),
        }
    }
}

/// Attaches a human context (usually the path) to io errors.
pub(crate) trait IoContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> IoContext<T> for Result<T, io::Error> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Io {
            context: context(),
            source,
        })
    }
}

impl<T> IoContext<T> for Result<T, rustix::io::Errno> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Io {
            context: context(),
            source: e.into(),
        })
    }
}
