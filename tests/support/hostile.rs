//! Hand-made hostile tars (raw headers: the tar crate's own setters refuse
//! `..` and absolute paths) and the checks that a store they were fed to
//! stayed clean.

use std::io::Write;
use std::path::Path;

use tar::{Builder, EntryType, Header};

use super::cli::{ok_trimmed, strata};
use super::store::count;

/// (path, type, data, link target)
pub type RawEntry<'a> = (&'a [u8], EntryType, &'a [u8], Option<&'a [u8]>);

pub fn header(name: &[u8], kind: EntryType, size: u64, link: Option<&[u8]>) -> Header {
    let mut h = Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    if let Some(l) = link {
        h.as_old_mut().linkname[..l.len()].copy_from_slice(l);
    }
    h.set_cksum();
    h
}

pub fn tar_of(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut b = Builder::new(Vec::new());
    for (name, kind, data, link) in entries {
        b.append(&header(name, *kind, data.len() as u64, *link), *data)
            .expect("append");
    }
    b.into_inner().expect("finish")
}

/// A gzip of a tar holding one file `bomb` of `size` zero bytes: a few
/// kilobytes that expand to `size`. Streamed, never held whole.
pub fn gzip_bomb(size: u64) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(header(b"bomb", EntryType::Regular, size, None).as_bytes())
        .expect("gzip");
    let zeros = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        gz.write_all(&zeros[..n]).expect("gzip");
        left -= n as u64;
    }
    // Padding to the block, then the end-of-archive marker.
    let pad = (512 - size % 512) % 512;
    gz.write_all(&vec![0u8; pad as usize + 1024]).expect("gzip");
    gz.finish().expect("gzip")
}

/// The error text with the report's line wrapping and frame undone.
pub fn flat(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .split_whitespace()
        .filter(|w| *w != "│" && *w != "×")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Nothing half-made is left: tmp/ empty and `system fsck` passes.
pub fn assert_store_clean(store: &Path) {
    assert_eq!(count(store, "tmp"), 0, "tmp/ not cleaned");
    ok_trimmed(strata(store).args(["system", "fsck"]));
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    strata_store::Digest::of(bytes).to_string()
}
