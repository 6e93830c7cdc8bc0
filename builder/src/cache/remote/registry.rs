//! `type=registry`: the artifact pushed under a tag, pulled back by it.

use std::path::PathBuf;

use strata_store::registry::{ClientOptions, ManifestKind, pull_artifact, push_artifact, silent};
use strata_store::{Digest, ImageRef, Store};

use super::{Artifact, CONFIG_MEDIA_TYPE, CacheConfig, RemoteError};

/// How to reach the cache's registry.
#[derive(Debug, Clone)]
pub struct RegistryAccess {
    pub tls_verify: bool,
    pub authfile: Option<PathBuf>,
}

impl RegistryAccess {
    fn options(&self, reference: &ImageRef) -> Result<ClientOptions, RemoteError> {
        ClientOptions::from_docker_config(
            reference.registry(),
            self.authfile.as_deref(),
            self.tls_verify,
        )
        .map_err(|e| registry_error(reference, e))
    }
}

fn registry_error(reference: &ImageRef, e: strata_store::registry::RegistryError) -> RemoteError {
    RemoteError::Registry {
        reference: reference.to_string(),
        source: Box::new(e),
    }
}

/// Pushes `artifact` as `reference`; returns the manifest digest.
pub fn push(
    store: &Store,
    artifact: &Artifact,
    reference: &ImageRef,
    access: &RegistryAccess,
) -> Result<Digest, RemoteError> {
    let options = access.options(reference)?;
    push_artifact(
        store,
        reference,
        ManifestKind::OciManifest,
        &artifact.manifest,
        &artifact.blobs,
        None,
        &options,
        &silent,
    )
    .map_err(|e| registry_error(reference, e))
}

/// Pulls the artifact `reference` names (its blobs into the store) and
/// returns its records.
pub fn pull(
    store: &Store,
    reference: &ImageRef,
    access: &RegistryAccess,
) -> Result<CacheConfig, RemoteError> {
    let options = access.options(reference)?;
    let pulled = pull_artifact(store, reference, &options, &silent)
        .map_err(|e| registry_error(reference, e))?;
    let origin = reference.to_string();
    if pulled.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(RemoteError::not_a_cache(
            &origin,
            format!("its config is {}", pulled.config.media_type),
        ));
    }
    let bytes = store.read_blob(&pulled.config.digest)?;
    CacheConfig::parse(&origin, &bytes)
}
