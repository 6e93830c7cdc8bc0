//! Local tar archives for ADD: recognised by content (plain tar, or tar
//! compressed with gzip, bzip2, xz or zstd), never by file name, as Docker
//! does.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Opens `path` decompressed according to its magic bytes.
pub fn open(path: &Path) -> io::Result<Box<dyn Read>> {
    let mut head = [0u8; 6];
    let n = File::open(path)?.read(&mut head)?;
    let file = BufReader::new(File::open(path)?);
    Ok(match Compression::sniff(&head[..n]) {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(file)),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(file)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(file)?),
    })
}

/// Whether the (decompressed) file starts with a valid tar header.
pub fn is_archive(path: &Path) -> bool {
    let Ok(mut r) = open(path) else {
        return false;
    };
    let mut block = [0u8; 512];
    if r.read_exact(&mut block).is_err() {
        return false;
    }
    header_checksum_ok(&block)
}

/// The tar header checksum: the byte sum with the checksum field as spaces.
fn header_checksum_ok(block: &[u8; 512]) -> bool {
    let field = &block[148..156];
    let text: String = field
        .iter()
        .take_while(|b| **b != 0 && **b != b' ')
        .map(|b| *b as char)
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    block.iter().any(|b| *b != 0) && sum == stored
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tar_bytes() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_path("hello.txt").unwrap();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &b"hello"[..]).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn every_supported_compression_is_recognised_by_content() {
        let t = tempfile::tempdir().unwrap();
        let raw = tar_bytes();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&raw).unwrap();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&raw).unwrap();
        let zst = zstd::encode_all(&raw[..], 1).unwrap();
        for (name, bytes) in [
            ("plain.bin", raw.clone()),
            ("a.gz", gz.finish().unwrap()),
            ("a.bz2", bz.finish().unwrap()),
            ("a.xz", xz.finish().unwrap()),
            ("a.zst", zst),
        ] {
            let p = t.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            assert!(is_archive(&p), "{name}");
            let mut ar = tar::Archive::new(open(&p).unwrap());
            let entry = ar.entries().unwrap().next().unwrap().unwrap();
            assert_eq!(entry.path().unwrap().to_str(), Some("hello.txt"));
        }
    }

    #[test]
    fn other_files_are_not_archives() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.tar.gz");
        std::fs::write(&p, "just text pretending to be a tar").unwrap();
        assert!(!is_archive(&p));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[7u8; 600]).unwrap();
        std::fs::write(&p, gz.finish().unwrap()).unwrap();
        assert!(!is_archive(&p), "gzip of something that is not a tar");
    }
}
