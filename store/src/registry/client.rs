//! `RegistryClient`: one registry host, blocking, safe to share between
//! threads (downloads of one image run in parallel over one client).

use ureq::http::{Method, StatusCode};

use super::error::{RegistryError, Result};
use super::options::ClientOptions;
use super::session::{Req, Session};

pub struct RegistryClient {
    pub(crate) session: Session,
    pub(crate) chunk_size: usize,
}

pub(crate) fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

pub(crate) fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

impl RegistryClient {
    /// `host` as written in image names (`docker.io`, `localhost:5000`).
    /// No network traffic until the first call.
    pub fn new(host: &str, options: &ClientOptions) -> RegistryClient {
        RegistryClient {
            session: Session::new(host, options),
            chunk_size: options.chunk_size.max(1),
        }
    }

    pub fn host(&self) -> &str {
        self.session.host()
    }

    /// The API version check: `GET /v2/` must answer as a v2 registry, and
    /// with our credentials (if any) it must let us in. `strata login` uses
    /// this to validate credentials before saving them.
    pub fn check(&self) -> Result<()> {
        let req = Req::new(Method::GET, self.session.url(""));
        let resp = self.session.send(&req, &[])?;
        match resp.status() {
            StatusCode::OK => Ok(()),
            StatusCode::NOT_FOUND => Err(RegistryError::NotARegistry {
                host: self.host().to_owned(),
                status: 404,
            }),
            _ => Err(self.session.status_error(&req, resp)),
        }
    }

    pub fn has_credentials(&self) -> bool {
        self.session.has_credentials()
    }
}
