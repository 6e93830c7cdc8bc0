//! ADD of an http(s) URL: download to a temporary directory, hashing as we
//! go, check `--checksum`, and name the file as Docker does (the last path
//! segment of the URL), mode 0600, mtime from Last-Modified.

use std::fs::{File, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use filetime::FileTime;

use strata_store::{Digest, DigestWriter};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("ADD {url}: {message}")]
    Http { url: String, message: String },
    #[error("ADD {url}: checksum mismatch: want {want}, got {got}")]
    Checksum {
        url: String,
        want: Digest,
        got: Digest,
    },
    #[error("ADD {url}: {source}")]
    Io {
        url: String,
        #[source]
        source: std::io::Error,
    },
}

/// A downloaded file.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The file, `dir/<name>`.
    pub path: PathBuf,
    pub name: String,
    pub digest: Digest,
}

pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// The file name Docker gives a URL's download.
pub fn file_name(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |x| x.1);
    match after_scheme.split_once('/') {
        Some((_, path)) => path
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("__unnamed__")
            .to_string(),
        None => "__unnamed__".to_string(),
    }
}

/// Downloads `url` into `dir`.
pub fn fetch(url: &str, dir: &Path, checksum: Option<Digest>) -> Result<Fetched, FetchError> {
    let http = |message: String| FetchError::Http {
        url: url.to_string(),
        message,
    };
    let io = |source| FetchError::Io {
        url: url.to_string(),
        source,
    };
    let mut response = ureq::get(url).call().map_err(|e| http(e.to_string()))?;
    let modified = response
        .headers()
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    let name = file_name(url);
    let path = dir.join(&name);
    // The store's writer hashes what passes, so the file is checked in
    // the pass that writes it.
    let mut out = DigestWriter::new(File::create(&path).map_err(io)?);
    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        out.write_all(&buf[..n]).map_err(io)?;
    }
    let (file, digest, _) = out.finish();
    drop(file);
    if let Some(want) = checksum
        && want != digest
    {
        return Err(FetchError::Checksum {
            url: url.to_string(),
            want,
            got: digest,
        });
    }
    std::fs::set_permissions(&path, Permissions::from_mode(0o600)).map_err(io)?;
    if let Some(time) = modified {
        filetime::set_file_mtime(&path, FileTime::from_system_time(time)).map_err(io)?;
    }
    Ok(Fetched { path, name, digest })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves one fixed body to every request on 127.0.0.1; returns the URL base.
    fn serve(body: &'static [u8]) -> String {
        use std::io::{BufRead, BufReader};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut s = stream;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nLast-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(body);
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn downloads_with_checksum_mode_and_mtime() {
        use std::os::unix::fs::MetadataExt;
        let base = serve(b"payload");
        let t = tempfile::tempdir().unwrap();
        let want = Digest::of(b"payload");
        let got = fetch(&format!("{base}/files/data.bin"), t.path(), Some(want)).unwrap();
        assert_eq!(got.name, "data.bin");
        assert_eq!(got.digest, want);
        assert_eq!(std::fs::read(&got.path).unwrap(), b"payload");
        let meta = std::fs::metadata(&got.path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(meta.mtime(), 1445412480);
    }

    #[test]
    fn a_wrong_checksum_fails() {
        let base = serve(b"payload");
        let t = tempfile::tempdir().unwrap();
        let err = fetch(&format!("{base}/x"), t.path(), Some(Digest::of(b"other")));
        assert!(matches!(err, Err(FetchError::Checksum { .. })));
    }

    #[test]
    fn names_come_from_the_last_path_segment() {
        assert_eq!(file_name("http://h/a/b/file.tgz?x=1"), "file.tgz");
        assert_eq!(file_name("https://h:8080/dir/"), "dir");
        assert_eq!(file_name("http://h"), "__unnamed__");
    }
}
