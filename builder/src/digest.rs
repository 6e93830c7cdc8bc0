//! A sha256 digest that is valid by construction: 64 lowercase hex digits.
//! Used for content digests, cache keys and stat-cache entries.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256 as Hasher};

/// A sha256 digest; prints and parses as `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error("not a sha256 digest: {0:?}")]
pub struct BadDigest(pub String);

impl Sha256 {
    pub fn of_bytes(data: &[u8]) -> Self {
        let mut h = Hasher::new();
        h.update(data);
        Self(h.finalize().into())
    }

    /// Hashes a reader to its end without holding it in memory.
    pub fn of_reader(mut r: impl Read) -> std::io::Result<Self> {
        let mut h = Hasher::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(&buf[..n]);
        }
        Ok(Self(h.finalize().into()))
    }

    /// The raw 32 bytes (for compact binary files).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Finishes a running hasher (for digests computed while streaming).
    pub fn from_hasher(h: Hasher) -> Self {
        Self(h.finalize().into())
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

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Sha256 {
    type Err = BadDigest;
    fn from_str(s: &str) -> Result<Self, BadDigest> {
        let hex_part = s.strip_prefix("sha256:").unwrap_or(s);
        let lower = hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let mut out = [0u8; 32];
        if hex_part.len() != 64 || !lower || hex::decode_to_slice(hex_part, &mut out).is_err() {
            return Err(BadDigest(s.to_string()));
        }
        Ok(Self(out))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Feeds length-prefixed fields into a sha256, so that no two different
/// field sequences hash the same ("ab","c" vs "a","bc").
#[derive(Default)]
pub struct FieldHasher(Hasher);

impl FieldHasher {
    pub fn new() -> Self {
        Self(Hasher::new())
    }

    pub fn field(&mut self, data: impl AsRef<[u8]>) -> &mut Self {
        let data = data.as_ref();
        self.0.update((data.len() as u64).to_le_bytes());
        self.0.update(data);
        self
    }

    pub fn finish(self) -> Sha256 {
        Sha256(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_of_empty_input() {
        assert_eq!(
            Sha256::of_bytes(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn round_trips_through_text_and_rejects_garbage() {
        let d = Sha256::of_bytes(b"strata");
        assert_eq!(d.to_string().parse::<Sha256>().unwrap(), d);
        assert!("sha256:xyz".parse::<Sha256>().is_err());
        assert!(d.to_string().to_uppercase().parse::<Sha256>().is_err());
    }

    #[test]
    fn text_is_the_display_form() {
        let d = Sha256::of_bytes(b"strata");
        assert_eq!(&d.text()[..], d.to_string().as_bytes());
    }

    #[test]
    fn fields_are_delimited() {
        let mut a = FieldHasher::new();
        a.field("ab").field("c");
        let mut b = FieldHasher::new();
        b.field("a").field("bc");
        assert_ne!(a.finish(), b.finish());
    }
}
