//! The registry client's error type: every failure names the registry and,
//! where the registry said why, its own words.

use std::io;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error(transparent)]
    InvalidReference(#[from] crate::reference::ReferenceError),
    #[error("invalid pull policy {0:?}: expected missing, always or never")]
    InvalidPullPolicy(String),
    #[error("image {0} is not in the store and --pull=never forbids pulling it")]
    NotInStore(String),
    #[error(transparent)]
    InvalidPlatform(#[from] strata_platform::PlatformError),
    #[error("cannot reach registry {host}: {source}")]
    Connect {
        host: String,
        #[source]
        source: Box<ureq::Error>,
    },
    #[error("{host} does not speak the registry API v2 (GET /v2/ answered {status})")]
    NotARegistry { host: String, status: u16 },
    #[error(
        "authentication to {host} failed: {}{}",
        if *.had_credentials { "wrong username or password" } else { "no credentials (run `strata login` first)" },
        registry_said(.detail)
    )]
    Unauthorized {
        host: String,
        had_credentials: bool,
        detail: String,
    },
    #[error("access to {what} on {host} denied{}", registry_said(.detail))]
    Denied {
        host: String,
        what: String,
        detail: String,
    },
    #[error("{what} not found on {host}")]
    NotFound { host: String, what: String },
    #[error("{host}: {method} {path} answered {status}{}", registry_said(.detail))]
    Status {
        host: String,
        method: &'static str,
        path: String,
        status: u16,
        detail: String,
    },
    #[error("{host}: {method} {path} still failing after {attempts} attempts: {last}")]
    RetriesExhausted {
        host: String,
        method: &'static str,
        path: String,
        attempts: u32,
        last: String,
    },
    #[error("cannot get a token from {realm}: {reason}")]
    Token { realm: String, reason: String },
    #[error("blob content does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch { expected: String, actual: String },
    #[error("blob {digest} has size {actual}, expected {expected}")]
    SizeMismatch {
        digest: String,
        expected: u64,
        actual: u64,
    },
    #[error("malformed {what} from {host}: {reason}")]
    Malformed {
        host: String,
        what: String,
        reason: String,
    },
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("no manifest for platform {platform} in the index (it has: {available})")]
    NoMatchingPlatform { platform: String, available: String },
    #[error("credentials file {path}: {reason}")]
    CredentialsFile { path: String, reason: String },
    #[error("credential helper docker-credential-{helper}: {reason}")]
    CredentialHelper { helper: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

fn registry_said(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" (registry said: {detail})")
    }
}

impl RegistryError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> RegistryError {
        let context = context.into();
        move |source| RegistryError::Io { context, source }
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
