//! A sha256 digest, valid by construction, and a hashing writer that checks
//! streamed content against the digest it was promised.
//!
//! The store's own `Digest` lands on another branch; this one mirrors its
//! API (`FromStr`, `Display`, `hex()`) so the swap is a one-line `use`.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use super::error::RegistryError;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        Digest {
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    pub(crate) fn from_sha256(hash: &[u8]) -> Digest {
        Digest {
            hex: hex::encode(hash),
        }
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl FromStr for Digest {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s
            .strip_prefix("sha256:")
            .ok_or_else(|| RegistryError::InvalidDigest(s.to_owned()))?;
        let valid = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(RegistryError::InvalidDigest(s.to_owned()));
        }
        Ok(Digest {
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Passes bytes through to `inner` while hashing and counting them, so a
/// blob is verified in the same pass that writes it.
pub struct VerifyingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> VerifyingWriter<W> {
    pub fn new(inner: W) -> Self {
        VerifyingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Checks what went through against `expected`; the caller must discard
    /// what it wrote when this fails.
    pub fn verify(self, expected: &Digest) -> Result<(W, u64), RegistryError> {
        let actual = Digest {
            hex: hex::encode(self.hasher.finalize()),
        };
        if &actual != expected {
            return Err(RegistryError::DigestMismatch {
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok((self.inner, self.written))
    }
}

impl<W: Write> Write for VerifyingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_lowercase_sha256() {
        let good = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            good.parse::<Digest>().map(|d| d.to_string()).ok(),
            Some(good)
        );
        assert!(
            format!("sha256:{}", "A".repeat(64))
                .parse::<Digest>()
                .is_err()
        );
        assert!(
            format!("sha512:{}", "a".repeat(64))
                .parse::<Digest>()
                .is_err()
        );
        assert!("sha256:abc".parse::<Digest>().is_err());
    }

    #[test]
    fn verifying_writer_rejects_other_content() {
        let mut w = VerifyingWriter::new(Vec::new());
        w.write_all(b"hello").ok();
        assert!(w.verify(&Digest::of(b"hullo")).is_err());
        let mut w = VerifyingWriter::new(Vec::new());
        w.write_all(b"hello").ok();
        assert_eq!(
            w.verify(&Digest::of(b"hello")).ok(),
            Some((b"hello".to_vec(), 5))
        );
    }
}
