//! The stat cache on disk: a compact binary file rather than JSON, because
//! an unchanged rebuild of a large context reads it whole and parsing tens
//! of thousands of JSON entries (hex digests included) cost more than the
//! stats it saves.
//!
//! Layout: the magic line, the entry count (u64 LE), the entries, then the
//! sha256 of everything before it. An entry is the path's length (u32 LE)
//! and bytes, size (u64), mtime and ctime in ns (i128 each), inode (u64),
//! the 32 digest bytes; all little-endian. The trailing digest makes a torn
//! or corrupted file read as "no cache" instead of as wrong digests.

use std::collections::HashMap;

use super::{Entry, FileStamp, PathKey};
use strata_store::Digest;

const MAGIC: &[u8] = b"strata-statcache-v2\n";
const TRAILER: usize = 32;

pub(super) fn encode(entries: &HashMap<PathKey, Entry>) -> Vec<u8> {
    // Paths are far below 4 GiB (PATH_MAX); one that is not is left out
    // rather than written with a wrong length.
    let kept: Vec<(&[u8], u32, &Entry)> = entries
        .iter()
        .filter_map(|(path, entry)| {
            u32::try_from(path.len())
                .ok()
                .map(|len| (path.as_slice(), len, entry))
        })
        .collect();
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + kept.len() * 160 + TRAILER);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(kept.len() as u64).to_le_bytes());
    for (bytes, len, entry) in kept {
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(bytes);
        let s = entry.stamp;
        out.extend_from_slice(&s.size.to_le_bytes());
        out.extend_from_slice(&s.mtime_ns.to_le_bytes());
        out.extend_from_slice(&s.ctime_ns.to_le_bytes());
        out.extend_from_slice(&s.ino.to_le_bytes());
        out.extend_from_slice(entry.digest.as_bytes());
    }
    let sum = Digest::of(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// The entries of a file written by [`encode`]; `None` for anything else
/// (an older JSON cache, a truncated or corrupted file).
pub(super) fn decode(bytes: &[u8]) -> Option<HashMap<PathKey, Entry>> {
    let body_len = bytes.len().checked_sub(TRAILER)?;
    let (body, sum) = bytes.split_at(body_len);
    if !body.starts_with(MAGIC) || Digest::of(body).as_bytes()[..] != *sum {
        return None;
    }
    let mut r = Reader(&body[MAGIC.len()..]);
    let count = r.u64()?;
    let mut out = HashMap::with_capacity(usize::try_from(count).ok()?.min(1 << 20));
    for _ in 0..count {
        let len = usize::try_from(r.u32()?).ok()?;
        let path = r.take(len)?.to_vec();
        let stamp = FileStamp {
            size: r.u64()?,
            mtime_ns: r.i128()?,
            ctime_ns: r.i128()?,
            ino: r.u64()?,
        };
        let digest = Digest::from_bytes(r.array()?);
        out.insert(path, Entry { stamp, digest });
    }
    r.0.is_empty().then_some(out)
}

/// Bounds-checked little-endian reads: a short file ends in `None`.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    fn i128(&mut self) -> Option<i128> {
        self.array().map(i128::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HashMap<PathKey, Entry> {
        let stamp = FileStamp {
            size: 3,
            mtime_ns: 1_700_000_000_123_456_789,
            ctime_ns: -5,
            ino: 42,
        };
        HashMap::from([
            (
                b"/ctx/a".to_vec(),
                Entry {
                    stamp,
                    digest: Digest::of(b"a"),
                },
            ),
            (
                b"/ctx/not-utf8-\xff".to_vec(),
                Entry {
                    stamp: FileStamp { ino: 43, ..stamp },
                    digest: Digest::of(b"b"),
                },
            ),
        ])
    }

    #[test]
    fn entries_round_trip() {
        let entries = sample();
        assert_eq!(decode(&encode(&entries)), Some(entries));
    }

    #[test]
    fn torn_corrupt_or_foreign_files_are_rejected() {
        let bytes = encode(&sample());
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None, "truncated");
        let mut flipped = bytes.clone();
        flipped[MAGIC.len() + 20] ^= 1;
        assert_eq!(decode(&flipped), None, "a flipped bit");
        assert_eq!(decode(br#"{"/ctx/a":{"stamp":{}}}"#), None, "the old JSON");
        assert_eq!(decode(b""), None);
    }
}
