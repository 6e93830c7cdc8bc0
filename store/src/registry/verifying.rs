//! A writer that checks streamed content against the digest it was
//! promised, and can say how far it got (so a download can resume).

use std::io::{self, Write};

use sha2::{Digest as _, Sha256};

use super::error::RegistryError;
use crate::digest::Digest;

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
        let actual = Digest::from_bytes(self.hasher.finalize().into());
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
