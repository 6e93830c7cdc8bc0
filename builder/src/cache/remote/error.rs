//! What can go wrong moving cache between machines.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Store(#[from] strata_store::StoreError),
    #[error(transparent)]
    Record(#[from] crate::cache::RecordError),
    #[error("cache {reference}: {source}")]
    Registry {
        reference: String,
        #[source]
        source: Box<strata_store::registry::RegistryError>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin} is not a strata build cache: {why}")]
    NotACache { origin: String, why: String },
    #[error("{0}")]
    Spec(String),
}

impl RemoteError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    pub(crate) fn not_a_cache(origin: &str, why: impl std::fmt::Display) -> Self {
        Self::NotACache {
            origin: origin.to_string(),
            why: why.to_string(),
        }
    }
}
