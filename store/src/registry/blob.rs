//! Blobs: existence checks, verified streaming downloads that resume after
//! a broken connection, cross-repository mounts, and uploads (one PUT for
//! small blobs, PATCH chunks for large ones).

use std::cell::RefCell;
use std::io::{self, Read, Write};

use ureq::Body;
use ureq::http::{Method, Response, StatusCode, header};

use sha2::{Digest as _, Sha256};

use super::client::{RegistryClient, pull_scope, push_scope};
use super::error::{RegistryError, Result};
use super::session::{Req, Rewind, read_detail};
use super::verifying::VerifyingWriter;
use super::wire::with_query;
use crate::digest::Digest;

/// How a blob got into the target repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobPush {
    /// It was there already (HEAD found it): nothing sent.
    Present,
    /// Mounted from another repository of the same registry: nothing sent.
    Mounted,
    Uploaded,
}

impl RegistryClient {
    /// HEAD: the blob's size if the repository has it.
    pub fn blob_exists(&self, repo: &str, digest: &Digest) -> Result<Option<u64>> {
        let req = Req::new(
            Method::HEAD,
            self.session.url(&format!("{repo}/blobs/{digest}")),
        );
        let resp = self.session.send(&req, &[pull_scope(repo)])?;
        match resp.status() {
            StatusCode::OK => Ok(Some(
                resp.headers()
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.session.status_error(&req, resp)),
        }
    }

    /// Streams a blob into `out`, checking its digest on the way. When the
    /// connection breaks mid-blob the download resumes where it stopped
    /// (a Range request; bytes already written are skipped if the registry
    /// ignores the range). On error `out` holds garbage: write to a temp
    /// file and rename it into place only on success.
    pub fn get_blob(&self, repo: &str, digest: &Digest, out: &mut dyn Write) -> Result<u64> {
        let mut w = VerifyingWriter::new(out);
        let mut breaks = 0u32;
        loop {
            let offset = w.written();
            let mut req = Req::new(
                Method::GET,
                self.session.url(&format!("{repo}/blobs/{digest}")),
            );
            if offset > 0 {
                req = req.header(header::RANGE, format!("bytes={offset}-"));
            }
            let resp = self.session.send(&req, &[pull_scope(repo)])?;
            let skip = match resp.status() {
                StatusCode::OK => offset,
                StatusCode::PARTIAL_CONTENT if offset > 0 => 0,
                StatusCode::NOT_FOUND => {
                    return Err(RegistryError::NotFound {
                        host: self.host().to_owned(),
                        what: format!("blob {repo}@{digest}"),
                    });
                }
                _ => return Err(self.session.status_error(&req, resp)),
            };
            match copy_body(resp, skip, &mut w) {
                Ok(()) => break,
                Err(CopyError::Write(e)) => {
                    return Err(RegistryError::Io {
                        context: format!("write blob {digest}"),
                        source: e,
                    });
                }
                Err(CopyError::Read(e)) => {
                    breaks += 1;
                    if breaks >= self.session_attempts() {
                        return Err(RegistryError::RetriesExhausted {
                            host: self.host().to_owned(),
                            method: "GET",
                            path: format!("/v2/{repo}/blobs/{digest}"),
                            attempts: breaks,
                            last: e.to_string(),
                        });
                    }
                    std::thread::sleep(self.session_backoff(breaks));
                }
            }
        }
        let (_, n) = w.verify(digest)?;
        Ok(n)
    }

    /// Makes `digest` (of `size` bytes, read from `data`) present in `repo`:
    /// a HEAD first, then a mount from `mount_from` if given, then an
    /// upload. The content is hashed while it is sent and the upload is
    /// only committed if it matches `digest`.
    pub fn push_blob(
        &self,
        repo: &str,
        digest: &Digest,
        size: u64,
        data: &mut dyn Read,
        mount_from: Option<&str>,
    ) -> Result<BlobPush> {
        let location = match self.start_upload(repo, digest, mount_from)? {
            Ok(location) => location,
            Err(done) => return Ok(done),
        };
        let scopes = [push_scope(repo)];
        let mut hasher = Sha256::new();
        let mut sent = 0u64;
        let mut chunk = Vec::new();
        let mut location = location;
        let monolithic = size <= self.chunk_size as u64;
        loop {
            chunk.clear();
            let want = if monolithic {
                size
            } else {
                self.chunk_size as u64
            };
            (&mut *data)
                .take(want)
                .read_to_end(&mut chunk)
                .map_err(RegistryError::io(format!("read blob {digest}")))?;
            if chunk.is_empty() || monolithic {
                break;
            }
            hasher.update(&chunk);
            let end = sent + chunk.len() as u64 - 1;
            let req = Req::new(Method::PATCH, location.clone())
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_RANGE, format!("{sent}-{end}"))
                .body(&chunk);
            let resp = self.session.send(&req, &scopes)?;
            if resp.status() != StatusCode::ACCEPTED {
                return Err(self.session.status_error(&req, resp));
            }
            location = self.location(&req, &resp)?;
            sent = end + 1;
        }
        if monolithic {
            hasher.update(&chunk);
            sent = chunk.len() as u64;
        } else {
            chunk.clear();
        }
        let actual = Digest::from_bytes(hasher.finalize().into());
        if sent != size {
            return Err(RegistryError::SizeMismatch {
                digest: digest.to_string(),
                expected: size,
                actual: sent,
            });
        }
        if actual != *digest {
            return Err(RegistryError::DigestMismatch {
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        let req = Req::new(
            Method::PUT,
            with_query(&location, "digest", &digest.to_string()),
        )
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(&chunk);
        let resp = self.session.send(&req, &scopes)?;
        if resp.status() != StatusCode::CREATED {
            return Err(self.session.status_error(&req, resp));
        }
        Ok(BlobPush::Uploaded)
    }

    /// Like [`push_blob`](Self::push_blob), but the whole blob goes up in
    /// one streamed PUT (no chunk buffers, one round trip): for sources
    /// that can be rewound, such as store files. The registry checks the
    /// digest before it commits the upload.
    pub fn push_blob_stream(
        &self,
        repo: &str,
        digest: &Digest,
        size: u64,
        data: &mut dyn Rewind,
        mount_from: Option<&str>,
    ) -> Result<BlobPush> {
        let location = match self.start_upload(repo, digest, mount_from)? {
            Ok(location) => location,
            Err(done) => return Ok(done),
        };
        let source = RefCell::new(data);
        let req = Req::new(
            Method::PUT,
            with_query(&location, "digest", &digest.to_string()),
        )
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .stream(&source, size);
        let resp = self.session.send(&req, &[push_scope(repo)])?;
        match resp.status() {
            StatusCode::CREATED => Ok(BlobPush::Uploaded),
            StatusCode::BAD_REQUEST => Err(RegistryError::Malformed {
                host: self.host().to_owned(),
                what: format!("upload of {digest}"),
                reason: format!(
                    "the registry refused the content (not {size} bytes with that digest?): {}",
                    read_detail(resp)
                ),
            }),
            _ => Err(self.session.status_error(&req, resp)),
        }
    }

    /// HEAD, then a mount or a new upload session: `Err(outcome)` when
    /// nothing needs sending, else the session's URL.
    fn start_upload(
        &self,
        repo: &str,
        digest: &Digest,
        mount_from: Option<&str>,
    ) -> Result<std::result::Result<String, BlobPush>> {
        if self.blob_exists(repo, digest)?.is_some() {
            return Ok(Err(BlobPush::Present));
        }
        let mut scopes = vec![push_scope(repo)];
        let mut url = self.session.url(&format!("{repo}/blobs/uploads/"));
        if let Some(from) = mount_from.filter(|f| *f != repo) {
            scopes.push(pull_scope(from));
            url = with_query(
                &with_query(&url, "mount", &digest.to_string()),
                "from",
                from,
            );
        }
        let req = Req::new(Method::POST, url).header(header::CONTENT_LENGTH, "0");
        let resp = self.session.send(&req, &scopes)?;
        match resp.status() {
            StatusCode::CREATED => Ok(Err(BlobPush::Mounted)),
            StatusCode::ACCEPTED => Ok(Ok(self.location(&req, &resp)?)),
            _ => Err(self.session.status_error(&req, resp)),
        }
    }

    fn location(&self, req: &Req<'_>, resp: &Response<Body>) -> Result<String> {
        resp.headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| self.session.absolute(l))
            .ok_or_else(|| RegistryError::Malformed {
                host: self.host().to_owned(),
                what: format!("answer to {}", req.url),
                reason: "no Location header".into(),
            })
    }

    fn session_attempts(&self) -> u32 {
        self.session.retry().attempts.max(1)
    }

    fn session_backoff(&self, failures: u32) -> std::time::Duration {
        self.session.retry().backoff(failures)
    }
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies the body to `w`, dropping its first `skip` bytes; keeps read
/// and write failures apart because only the first are worth a retry.
fn copy_body(resp: Response<Body>, mut skip: u64, w: &mut dyn Write) -> Result<(), CopyError> {
    let mut reader = resp.into_body().into_reader();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        let dropped = skip.min(n as u64) as usize;
        skip -= dropped as u64;
        w.write_all(&buf[dropped..n]).map_err(CopyError::Write)?;
    }
}
