//! One registry host: the HTTP agent, the scheme, the auth state, and the
//! retry loop every request goes through.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::sleep;

use ureq::http::{Method, Request, Response, StatusCode, header};
use ureq::tls::TlsConfig;
use ureq::{Agent, Body, SendBody};

use super::auth::Credentials;
use super::auth::challenge::{self, Challenge};
use super::error::{RegistryError, Result};
use super::options::{ClientOptions, RetryPolicy};
use super::reference::api_host;
use super::wire::{error_detail, percent_encode};

/// The largest error or token body we read: they are small JSON documents.
const SMALL_BODY_LIMIT: u64 = 1 << 20;

/// A source that can be read again from its start: what a streamed body
/// must be for a retry to resend it.
pub trait Rewind: Read + Seek + Send {}
impl<T: Read + Seek + Send> Rewind for T {}

enum ReqBody<'a> {
    None,
    Bytes(&'a [u8]),
    /// `len` bytes from the start of the source, rewound for every try.
    Stream(&'a RefCell<dyn Rewind + 'a>, u64),
}

/// A request that can be sent again as it is: retries and auth rounds
/// replay it, so its body is bytes or a rewindable stream.
pub(crate) struct Req<'a> {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(header::HeaderName, String)>,
    body: ReqBody<'a>,
}

impl<'a> Req<'a> {
    pub fn new(method: Method, url: String) -> Req<'a> {
        Req {
            method,
            url,
            headers: Vec::new(),
            body: ReqBody::None,
        }
    }

    pub fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Req<'a> {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: &'a [u8]) -> Req<'a> {
        self.body = ReqBody::Bytes(body);
        self
    }

    pub fn stream(mut self, source: &'a RefCell<dyn Rewind + 'a>, len: u64) -> Req<'a> {
        self.body = ReqBody::Stream(source, len);
        self.header(header::CONTENT_LENGTH, len.to_string())
    }

    fn path(&self) -> String {
        let after_scheme = self.url.split_once("://").map_or(&*self.url, |(_, r)| r);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        path.split('?').next().unwrap_or(path).to_owned()
    }

    fn method_name(&self) -> &'static str {
        match self.method {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::PUT => "PUT",
            Method::POST => "POST",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            _ => "request",
        }
    }
}

#[derive(Default)]
struct AuthState {
    /// The registry asked for Basic: send credentials with every request.
    basic: bool,
    /// The registry asked for Bearer tokens from this realm/service.
    bearer: Option<(String, Option<String>)>,
    /// Tokens by the scopes they were issued for.
    tokens: HashMap<String, String>,
}

pub(crate) struct Session {
    host: String,
    api_host: String,
    agent: Agent,
    /// Agent for the insecure https probe (no certificate checks).
    insecure: bool,
    scheme: OnceLock<&'static str>,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    auth: Mutex<AuthState>,
}

impl Session {
    pub fn new(host: &str, options: &ClientOptions) -> Session {
        let tls = TlsConfig::builder()
            .disable_verification(!options.tls_verify)
            .build();
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .timeout_connect(Some(options.connect_timeout))
            // Registries serve blobs from a CDN through redirects; ureq's
            // default drops the Authorization header on every redirect, so
            // our credentials never reach the CDN.
            .max_redirects(5)
            .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let scheme = OnceLock::new();
        if is_loopback(api_host(host)) {
            let _ = scheme.set("http");
        } else if options.tls_verify {
            let _ = scheme.set("https");
        }
        Session {
            host: host.to_owned(),
            api_host: api_host(host).to_owned(),
            agent,
            insecure: !options.tls_verify,
            scheme,
            credentials: options.credentials.clone(),
            retry: options.retry.clone(),
            auth: Mutex::new(AuthState::default()),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// `scheme://host/v2/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}/v2/{}", self.scheme(), self.api_host, path)
    }

    /// Makes a `Location` header absolute (registries may send a path).
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!(
                "{}://{}/{}",
                self.scheme(),
                self.api_host,
                location.trim_start_matches('/')
            )
        }
    }

    /// With --tls-verify=false a registry may not speak TLS at all: try
    /// https once, and keep http if that cannot even connect.
    fn scheme(&self) -> &'static str {
        self.scheme.get_or_init(|| {
            if !self.insecure {
                return "https";
            }
            let probe = format!("https://{}/v2/", self.api_host);
            match self.agent.get(&probe).call() {
                Ok(_) => "https",
                Err(_) => "http",
            }
        })
    }

    /// Sends `req`, answering auth challenges and retrying transient
    /// failures. `scopes` are the token scopes the request needs.
    pub fn send(&self, req: &Req<'_>, scopes: &[String]) -> Result<Response<Body>> {
        let mut failures = 0u32;
        let mut auth_rounds = 0u32;
        loop {
            let authorization = self.authorization(scopes)?;
            let last = match self.run_once(req, authorization.as_deref()) {
                Err(e) if is_transient(&e) => e.to_string(),
                Err(e) => {
                    return Err(RegistryError::Connect {
                        host: self.host.clone(),
                        source: Box::new(e),
                    });
                }
                Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED => {
                    // One round to learn the scheme, one to fetch a fresh
                    // token; a third 401 means the credentials are wrong.
                    if auth_rounds >= 2 {
                        return Err(self.unauthorized(resp));
                    }
                    auth_rounds += 1;
                    self.answer_challenge(resp, authorization.as_deref(), scopes)?;
                    continue;
                }
                Ok(resp) if is_retryable_status(resp.status()) => {
                    let status = resp.status().as_u16();
                    format!("{status}{}", said(read_detail(resp)))
                }
                Ok(resp) => return Ok(resp),
            };
            failures += 1;
            if failures >= self.retry.attempts.max(1) {
                return Err(RegistryError::RetriesExhausted {
                    host: self.host.clone(),
                    method: req.method_name(),
                    path: req.path(),
                    attempts: failures,
                    last,
                });
            }
            sleep(self.retry.backoff(failures));
        }
    }

    /// The error for an unexpected status, with the registry's own words.
    pub fn status_error(&self, req: &Req<'_>, resp: Response<Body>) -> RegistryError {
        let status = resp.status().as_u16();
        let detail = read_detail(resp);
        match status {
            403 => RegistryError::Denied {
                host: self.host.clone(),
                what: req.path(),
                detail,
            },
            _ => RegistryError::Status {
                host: self.host.clone(),
                method: req.method_name(),
                path: req.path(),
                status,
                detail,
            },
        }
    }

    fn run_once(
        &self,
        req: &Req<'_>,
        authorization: Option<&str>,
    ) -> std::result::Result<Response<Body>, ureq::Error> {
        let mut builder = Request::builder().method(req.method.clone()).uri(&req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(a) = authorization {
            builder = builder.header(header::AUTHORIZATION, a);
        }
        match &req.body {
            ReqBody::Bytes(bytes) => self.agent.run(builder.body(*bytes)?),
            ReqBody::None => self.agent.run(builder.body(SendBody::none())?),
            ReqBody::Stream(source, len) => {
                let mut source = source.borrow_mut();
                source.rewind()?;
                let mut limited = (&mut *source).take(*len);
                self.agent
                    .run(builder.body(SendBody::from_reader(&mut limited))?)
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, AuthState> {
        // A panic elsewhere cannot leave the map half-updated in a way that
        // matters: at worst a token is fetched again.
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What to send before being asked: a cached (or fetched) token once we
    /// know the registry wants Bearer, basic credentials once it wants Basic.
    fn authorization(&self, scopes: &[String]) -> Result<Option<String>> {
        let (bearer, basic) = {
            let state = self.lock();
            if let Some(token) = state.tokens.get(&scopes.join(" ")) {
                return Ok(Some(format!("Bearer {token}")));
            }
            (state.bearer.clone(), state.basic)
        };
        if let Some((realm, service)) = bearer {
            let token = self.fetch_token(&realm, service.as_deref(), scopes)?;
            self.lock().tokens.insert(scopes.join(" "), token.clone());
            return Ok(Some(format!("Bearer {token}")));
        }
        Ok(match (&self.credentials, basic) {
            (Some(c), true) => Some(c.basic_header()),
            _ => None,
        })
    }

    fn answer_challenge(
        &self,
        resp: Response<Body>,
        sent: Option<&str>,
        scopes: &[String],
    ) -> Result<()> {
        let parsed = resp
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(challenge::parse);
        match parsed {
            Some(Challenge::Basic) if self.credentials.is_some() && sent.is_none() => {
                self.lock().basic = true;
                Ok(())
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let mut want: Vec<String> = scopes.to_vec();
                if let Some(s) = scope.filter(|s| !want.contains(s)) {
                    want.push(s);
                }
                let token = self.fetch_token(&realm, service.as_deref(), &want)?;
                let mut state = self.lock();
                if sent == Some(&*format!("Bearer {token}")) {
                    drop(state);
                    return Err(self.unauthorized(resp));
                }
                state.bearer = Some((realm, service));
                state.tokens.insert(scopes.join(" "), token);
                Ok(())
            }
            _ => Err(self.unauthorized(resp)),
        }
    }

    fn unauthorized(&self, resp: Response<Body>) -> RegistryError {
        RegistryError::Unauthorized {
            host: self.host.clone(),
            had_credentials: self.credentials.is_some(),
            detail: read_detail(resp),
        }
    }

    /// Docker's token protocol: GET realm?service=..&scope=.., with basic
    /// credentials when we have them, anonymous otherwise.
    fn fetch_token(&self, realm: &str, service: Option<&str>, scopes: &[String]) -> Result<String> {
        let mut query: Vec<String> = Vec::new();
        if let Some(s) = service {
            query.push(format!("service={}", percent_encode(s)));
        }
        for s in scopes {
            query.push(format!("scope={}", percent_encode(s)));
        }
        let sep = if realm.contains('?') { '&' } else { '?' };
        let url = if query.is_empty() {
            realm.to_owned()
        } else {
            format!("{realm}{sep}{}", query.join("&"))
        };
        let fail = |reason: String| RegistryError::Token {
            realm: realm.to_owned(),
            reason,
        };
        let mut failures = 0;
        let resp = loop {
            let mut req = self.agent.get(&url);
            if let Some(c) = &self.credentials {
                req = req.header(header::AUTHORIZATION, c.basic_header());
            }
            let last = match req.call() {
                Ok(r) if is_retryable_status(r.status()) => r.status().to_string(),
                Ok(r) => break r,
                Err(e) if is_transient(&e) => e.to_string(),
                Err(e) => return Err(fail(e.to_string())),
            };
            failures += 1;
            if failures >= self.retry.attempts.max(1) {
                return Err(fail(format!("{failures} attempts, last: {last}")));
            }
            sleep(self.retry.backoff(failures));
        };
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => return Err(self.unauthorized(resp)),
            s => return Err(fail(format!("answered {s}{}", said(read_detail(resp))))),
        }
        #[derive(serde::Deserialize)]
        struct TokenReply {
            token: Option<String>,
            access_token: Option<String>,
        }
        let mut resp = resp;
        let body = resp
            .body_mut()
            .with_config()
            .limit(SMALL_BODY_LIMIT)
            .read_to_vec()
            .map_err(|e| fail(e.to_string()))?;
        let reply: TokenReply =
            serde_json::from_slice(&body).map_err(|e| fail(format!("bad reply: {e}")))?;
        reply
            .token
            .or(reply.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail("reply has no token".into()))
    }
}

fn is_loopback(api_host: &str) -> bool {
    let name = match api_host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => api_host.rsplit_once(':').map_or(api_host, |(h, _)| h),
    };
    name == "localhost" || name == "::1" || name.starts_with("127.")
}

fn is_transient(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled
    )
}

fn is_retryable_status(s: StatusCode) -> bool {
    s.is_server_error() && s != StatusCode::NOT_IMPLEMENTED || s == StatusCode::TOO_MANY_REQUESTS
}

pub(crate) fn read_detail(mut resp: Response<Body>) -> String {
    let body = resp
        .body_mut()
        .with_config()
        .limit(SMALL_BODY_LIMIT)
        .read_to_vec()
        .unwrap_or_default();
    error_detail(&body)
}

fn said(detail: String) -> String {
    if detail.is_empty() {
        detail
    } else {
        format!(" ({detail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_use_plain_http() {
        for h in ["localhost:5000", "127.0.0.1:1234", "[::1]:80", "localhost"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["registry.example:5000", "10.0.0.1", "localhost.example"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
