//! Layer compression: gzip (zlib-rs), zstd (always multi-threaded with at
//! least one worker, so the bytes do not depend on the core count) or none.
//! Reading sniffs the magic bytes, so docker media types and mislabelled
//! blobs decompress too.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::str::FromStr;

use flate2::Compression as GzLevel;
use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::error::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Gzip { level: u32 },
    Zstd { level: i32 },
}

impl Default for Compression {
    /// gzip: every registry and runtime reads it.
    fn default() -> Self {
        Compression::Gzip { level: 6 }
    }
}

impl FromStr for Compression {
    type Err = StoreError;
    /// `gzip|zstd|none[:LEVEL]`
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            StoreError::malformed(
                "compression",
                format!("{s:?}: expected gzip|zstd|none[:LEVEL]"),
            )
        };
        let (kind, level) = match s.split_once(':') {
            Some((k, l)) => (k, Some(l)),
            None => (s, None),
        };
        match (kind, level) {
            ("none", None) => Ok(Compression::None),
            ("gzip", None) => Ok(Compression::Gzip { level: 6 }),
            ("gzip", Some(l)) => match l.parse::<u32>() {
                Ok(level @ 0..=9) => Ok(Compression::Gzip { level }),
                _ => Err(bad()),
            },
            ("zstd", None) => Ok(Compression::Zstd { level: 3 }),
            ("zstd", Some(l)) => match l.parse::<i32>() {
                Ok(level @ 1..=22) => Ok(Compression::Zstd { level }),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Gzip { level } => write!(f, "gzip:{level}"),
            Compression::Zstd { level } => write!(f, "zstd:{level}"),
        }
    }
}

/// A compressing writer that must be finished to flush its trailer.
pub enum Encoder<W: Write> {
    None(W),
    Gzip(Box<GzEncoder<W>>),
    Zstd(Box<zstd::Encoder<'static, W>>),
}

impl<W: Write> Encoder<W> {
    pub fn new(inner: W, compression: Compression) -> io::Result<Encoder<W>> {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        Encoder::with_workers(inner, compression, workers)
    }

    /// zstd output differs between 0 workers and any number >= 1, but not
    /// between 1 and N: always at least one, so digests never depend on
    /// the machine.
    fn with_workers(inner: W, compression: Compression, workers: u32) -> io::Result<Encoder<W>> {
        Ok(match compression {
            Compression::None => Encoder::None(inner),
            Compression::Gzip { level } => {
                Encoder::Gzip(Box::new(GzEncoder::new(inner, GzLevel::new(level))))
            }
            Compression::Zstd { level } => {
                let mut enc = zstd::Encoder::new(inner, level)?;
                enc.multithread(workers.max(1))?;
                Encoder::Zstd(Box::new(enc))
            }
        })
    }

    pub fn finish(self) -> io::Result<W> {
        match self {
            Encoder::None(w) => Ok(w),
            Encoder::Gzip(g) => g.finish(),
            Encoder::Zstd(z) => z.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::None(w) => w.write(buf),
            Encoder::Gzip(g) => g.write(buf),
            Encoder::Zstd(z) => z.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.flush(),
            Encoder::Gzip(g) => g.flush(),
            Encoder::Zstd(z) => z.flush(),
        }
    }
}

/// What the first bytes of a blob say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    None,
    Gzip,
    Zstd,
}

/// Wraps `inner` in the decompressor its magic bytes call for.
pub fn decoder<'a, R: Read + 'a>(inner: R) -> io::Result<(Detected, Box<dyn Read + 'a>)> {
    let mut buf = BufReader::with_capacity(256 * 1024, inner);
    let head = buf.fill_buf()?;
    let kind = if head.starts_with(&[0x1f, 0x8b]) {
        Detected::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Detected::Zstd
    } else {
        Detected::None
    };
    let reader: Box<dyn Read + 'a> = match kind {
        Detected::None => Box::new(buf),
        // Concatenated gzip members (pigz, appended streams) are one
        // stream, as for gzip -d; trailing garbage fails as a bad header.
        Detected::Gzip => Box::new(MultiGzDecoder::new(buf)),
        Detected::Zstd => Box::new(zstd::Decoder::with_buffer(buf)?),
    };
    Ok((kind, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compression_round_trips_and_is_sniffed() {
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        for (c, kind) in [
            (Compression::None, Detected::None),
            (Compression::Gzip { level: 6 }, Detected::Gzip),
            (Compression::Zstd { level: 3 }, Detected::Zstd),
        ] {
            let mut enc = Encoder::new(Vec::new(), c).expect("encoder");
            enc.write_all(&data).expect("write");
            let blob = enc.finish().expect("finish");
            let (detected, mut dec) = decoder(&blob[..]).expect("decoder");
            let mut out = Vec::new();
            dec.read_to_end(&mut out).expect("read");
            assert_eq!(detected, kind);
            assert_eq!(out, data);
        }
    }

    #[test]
    fn concatenated_gzip_members_are_one_stream() {
        let mut blob = Vec::new();
        for part in [&b"first "[..], b"second"] {
            let mut enc = Encoder::new(Vec::new(), Compression::default()).expect("encoder");
            enc.write_all(part).expect("write");
            blob.extend(enc.finish().expect("finish"));
        }
        let (_, mut dec) = decoder(&blob[..]).expect("decoder");
        let mut out = String::new();
        dec.read_to_string(&mut out).expect("read");
        assert_eq!(out, "first second");
    }

    #[test]
    fn zstd_bytes_do_not_depend_on_the_worker_count() {
        let data: Vec<u8> = (0..3_000_000u32)
            .map(|i| (i % 251) as u8 ^ (i >> 13) as u8)
            .collect();
        let blobs: Vec<Vec<u8>> = [1, 2, 4]
            .into_iter()
            .map(|w| {
                let mut enc = Encoder::with_workers(Vec::new(), Compression::Zstd { level: 3 }, w)
                    .expect("encoder");
                enc.write_all(&data).expect("write");
                enc.finish().expect("finish")
            })
            .collect();
        assert_eq!(blobs[0], blobs[1]);
        assert_eq!(blobs[0], blobs[2]);
    }

    #[test]
    fn parses_levels() {
        assert_eq!(
            "zstd:19".parse::<Compression>().ok(),
            Some(Compression::Zstd { level: 19 })
        );
        assert!("gzip:12".parse::<Compression>().is_err());
        assert!("lz4".parse::<Compression>().is_err());
    }
}
