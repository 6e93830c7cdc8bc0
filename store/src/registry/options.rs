//! How a client talks to a registry: credentials, TLS, retries, chunking.

use std::time::Duration;

use std::path::Path;

use super::auth::Credentials;
use super::auth::config::{self, AuthFile};
use super::error::Result;

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub credentials: Option<Credentials>,
    /// false: accept any certificate, and fall back to plain http when the
    /// registry does not speak TLS at all (docker's insecure-registries).
    /// Plain http is always used for localhost and 127.0.0.0/8.
    pub tls_verify: bool,
    pub retry: RetryPolicy,
    /// Blobs up to this size go up in one PUT; larger ones in PATCH chunks
    /// of this size. Bounds the memory an upload holds.
    pub chunk_size: usize,
    pub connect_timeout: Duration,
    /// Blobs transferred at once by pull/push.
    pub jobs: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            credentials: None,
            tls_verify: true,
            retry: RetryPolicy::default(),
            chunk_size: 16 << 20,
            connect_timeout: Duration::from_secs(30),
            jobs: super::parallel::DEFAULT_JOBS,
        }
    }
}

impl ClientOptions {
    /// Options for `host` with its credentials from the docker config file
    /// (`authfile`, else the default lookup; see [`config`]).
    pub fn from_docker_config(
        host: &str,
        authfile: Option<&Path>,
        tls_verify: bool,
    ) -> Result<ClientOptions> {
        let credentials = match authfile
            .map(Path::to_path_buf)
            .or_else(config::default_path)
        {
            Some(path) => AuthFile::load(&path)?.lookup(host)?,
            None => None,
        };
        Ok(ClientOptions {
            credentials,
            tls_verify,
            ..ClientOptions::default()
        })
    }
}

/// Bounded exponential backoff for 5xx, 429 and connection errors.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Total tries of one request, the first included.
    pub attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The pause after failed try number `tried` (1-based).
    pub fn backoff(&self, tried: u32) -> Duration {
        let factor = 1u32
            .checked_shl(tried.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        let got: Vec<u128> = (1..=5).map(|n| p.backoff(n).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 500, 500]);
        assert_eq!(p.backoff(200), Duration::from_millis(500));
    }
}
