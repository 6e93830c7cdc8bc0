//! Content-addressed blobs under blobs/sha256/. A blob is streamed into
//! tmp/ while hashed, then renamed to its digest: a blob file that exists is
//! always whole.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};

use tempfile::NamedTempFile;

use crate::atomic;
use crate::digest::{Digest, DigestWriter};
use crate::error::{IoContext, StoreError};
use crate::store::Store;

/// JSON documents (manifests, configs, indexes) larger than this are refused.
pub const MAX_JSON_BLOB: u64 = 32 * 1024 * 1024;

pub struct BlobWriter {
    inner: DigestWriter<BufWriter<NamedTempFile>>,
    store: Store,
}

impl BlobWriter {
    /// The digest and size of what was written, and the blob in place.
    /// With `expected`, content that hashes differently is discarded.
    pub fn commit(self, expected: Option<&Digest>) -> Result<(Digest, u64), StoreError> {
        let (buf, digest, size) = self.inner.finish();
        let tmp = buf
            .into_inner()
            .map_err(|e| e.into_error())
            .ctx(|| "flush blob".to_owned())?;
        if let Some(want) = expected.filter(|want| **want != digest) {
            return Err(StoreError::DigestMismatch {
                expected: want.to_string(),
                actual: digest.to_string(),
            });
        }
        let dest = self.store.blob_path(&digest);
        if dest.exists() {
            return Ok((digest, size));
        }
        tmp.as_file().sync_all().ctx(|| "fsync blob".to_owned())?;
        tmp.persist(&dest)
            .map_err(|e| e.error)
            .ctx(|| format!("rename blob into {}", dest.display()))?;
        atomic::sync_parent(&dest)?;
        Ok((digest, size))
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Store {
    pub fn blob_writer(&self) -> Result<BlobWriter, StoreError> {
        let tmp = NamedTempFile::new_in(self.tmp_dir())
            .ctx(|| format!("create temp blob in {}", self.tmp_dir().display()))?;
        Ok(BlobWriter {
            inner: DigestWriter::new(BufWriter::with_capacity(1 << 20, tmp)),
            store: self.clone(),
        })
    }

    pub fn write_blob(&self, bytes: &[u8]) -> Result<Digest, StoreError> {
        let digest = Digest::of(bytes);
        if self.has_blob(&digest) {
            return Ok(digest);
        }
        let mut w = self.blob_writer()?;
        w.write_all(bytes).ctx(|| "write blob".to_owned())?;
        w.commit(Some(&digest)).map(|(d, _)| d)
    }

    pub fn open_blob(&self, digest: &Digest) -> Result<File, StoreError> {
        File::open(self.blob_path(digest)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::BlobMissing(digest.to_string()),
            _ => StoreError::Io {
                context: format!("open blob {digest}"),
                source: e,
            },
        })
    }

    /// Reads a small blob whole and checks it against its digest.
    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>, StoreError> {
        let mut bytes = Vec::new();
        self.open_blob(digest)?
            .take(MAX_JSON_BLOB + 1)
            .read_to_end(&mut bytes)
            .ctx(|| format!("read blob {digest}"))?;
        if bytes.len() as u64 > MAX_JSON_BLOB {
            return Err(StoreError::malformed(
                format!("blob {digest}"),
                "too large for a JSON document",
            ));
        }
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(StoreError::DigestMismatch {
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}
