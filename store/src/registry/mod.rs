//! A blocking client for the OCI distribution API (registries): pulls and
//! pushes manifests and blobs, streaming, with digest checks, retries and
//! docker-compatible authentication.
//!
//! Credentials: see [`auth::config`] for which file is read and written.

pub mod auth;
mod blob;
mod client;
pub mod digest;
mod error;
mod manifest;
mod options;
mod platform;
mod reference;
mod session;
mod wire;

pub use auth::Credentials;
pub use blob::BlobPush;
pub use client::RegistryClient;
pub use digest::Digest;
pub use error::RegistryError;
pub use manifest::{
    Descriptor, DescriptorPlatform, FetchedManifest, ImageManifest, ManifestKind, ResolvedImage,
};
pub use options::{ClientOptions, RetryPolicy};
pub use platform::Platform;
pub use reference::{DEFAULT_TAG, DOCKER_HUB, RegistryRef, Target, api_host};
