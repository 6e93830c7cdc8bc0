//! `Digest`: a sha256 content digest that is valid by construction, and a
//! writer that computes one while data streams through it.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::error::StoreError;

/// `sha256:<64 lowercase hex>`: the one digest type of the workspace
/// (content digests, diff_ids, cache keys, stat-cache entries). Only
/// sha256 is produced or accepted: it is what every registry and tool in
/// our peer set uses. The 32 bytes are kept, so it is `Copy` and costs
/// nothing to hash into another; its text form is made when asked for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// Hashes a reader to its end without holding it in memory.
    pub fn of_reader(mut r: impl io::Read) -> io::Result<Digest> {
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(&buf[..n]);
        }
        Ok(Digest(h.finalize().into()))
    }

    /// The digest whose raw 32 bytes these are (a finished sha256, or a
    /// compact binary file's entry).
    pub fn from_bytes(bytes: [u8; 32]) -> Digest {
        Digest(bytes)
    }

    /// The raw 32 bytes (for compact binary files).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn from_hex(hex: &str) -> Result<Digest, StoreError> {
        let lower = hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let mut out = [0u8; 32];
        if hex.len() == 64 && lower && hex::decode_to_slice(hex, &mut out).is_ok() {
            Ok(Digest(out))
        } else {
            Err(StoreError::InvalidDigest(hex.to_owned()))
        }
    }

    /// The 64 hex characters, as used for blob file names.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The `sha256:<hex>` text without allocating, for hashing many
    /// digests into another (the same bytes as `to_string()`).
    pub fn text(&self) -> [u8; 71] {
        let mut out = [0u8; 71];
        out[..7].copy_from_slice(b"sha256:");
        // 32 bytes always fill the 64 hex digits: this cannot fail.
        let _ = hex::encode_to_slice(self.0, &mut out[7..]);
        out
    }

    pub fn to_oci(&self) -> oci_spec::image::Digest {
        // Our invariant (sha256 + 64 hex) is stricter than oci-spec's.
        oci_spec::image::Digest::from_str(&self.to_string())
            .unwrap_or_else(|_| unreachable!("a valid sha256 digest is a valid oci digest"))
    }

    pub fn from_oci(d: &oci_spec::image::Digest) -> Result<Digest, StoreError> {
        d.to_string().parse()
    }
}

impl FromStr for Digest {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("sha256:") {
            Some(hex) => Digest::from_hex(hex).map_err(|_| StoreError::InvalidDigest(s.into())),
            None => Err(StoreError::InvalidDigest(s.to_owned())),
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text();
        // text() is ASCII by construction.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Passes bytes through to `inner` while hashing and counting them.
pub struct DigestWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> DigestWriter<W> {
    pub fn new(inner: W) -> Self {
        DigestWriter {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    pub fn finish(self) -> (W, Digest, u64) {
        let digest = Digest(self.hasher.finalize().into());
        (self.inner, digest, self.size)
    }
}

impl<W: Write> Write for DigestWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes everything read through it.
pub struct DigestReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: io::Read> DigestReader<R> {
    pub fn new(inner: R) -> Self {
        DigestReader {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    pub fn finish(self) -> (Digest, u64) {
        (Digest(self.hasher.finalize().into()), self.size)
    }
}

impl<R: io::Read> io::Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_valid_sha256() {
        let d = Digest::of(b"");
        assert_eq!(d.to_string().parse::<Digest>().ok(), Some(d));
        assert!("sha256:abc".parse::<Digest>().is_err());
        assert!("sha512:".parse::<Digest>().is_err());
        assert!(
            format!("sha256:{}", d.hex().to_uppercase())
                .parse::<Digest>()
                .is_err()
        );
    }

    #[test]
    fn writer_hashes_what_passes() {
        let mut w = DigestWriter::new(Vec::new());
        w.write_all(b"hello").unwrap_or_default();
        let (out, d, n) = w.finish();
        assert_eq!(out, b"hello");
        assert_eq!(n, 5);
        assert_eq!(d, Digest::of(b"hello"));
    }
}
