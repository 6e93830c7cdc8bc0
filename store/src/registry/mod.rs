//! A blocking client for the OCI distribution API (registries): pulls and
//! pushes manifests and blobs, streaming, with digest checks, retries and
//! docker-compatible authentication.
//!
//! Credentials: see [`auth::config`] for which file is read and written.

pub mod auth;
mod blob;
mod client;
mod counting;
pub mod ensure;
mod error;
mod manifest;
mod options;
mod parallel;
mod platform;
mod progress;
mod pull;
mod pull_index;
mod push;
mod reference;
mod session;
mod verifying;
mod wire;

pub use auth::Credentials;
pub use blob::BlobPush;
pub use client::RegistryClient;
pub use ensure::{PullPolicy, ensure_image};
pub use error::RegistryError;
pub use manifest::{
    Descriptor, DescriptorPlatform, FetchedManifest, ImageManifest, ManifestKind, ResolvedImage,
};
pub use options::{ClientOptions, RetryPolicy};
pub use parallel::DEFAULT_JOBS;
pub use platform::Platform;
pub use progress::{BlobOutcome, Progress, TransferEvent, silent};
pub use pull::{PulledArtifact, pull_artifact, pull_image};
pub use pull_index::pull_all_platforms;
pub use push::{push_artifact, push_image};
pub use reference::{DEFAULT_TAG, DOCKER_HUB, RegistryRef, Target, api_host};
pub use session::Rewind;
