//! Bringing content from a source into the store, verified: each layer is
//! streamed once, into a temp blob and (decompressed) into a temp snapshot,
//! and only when both its digest and its diff_id check out are the blob and
//! the snapshot renamed into place.

use std::io::{self, Read, Write};

use oci_spec::image::{Descriptor, ImageConfiguration, ImageManifest, MediaType};

use crate::blobs::MAX_JSON_BLOB;
use crate::compress::{self, Detected};
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::layer;
use crate::snapshot::{BlobRecord, SnapshotId, SnapshotMeta};
use crate::store::Store;

/// Reads a JSON document of at most MAX_JSON_BLOB bytes.
pub fn read_small(mut r: impl Read, what: &str) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    (&mut r)
        .take(MAX_JSON_BLOB + 1)
        .read_to_end(&mut out)
        .ctx(|| format!("read {what}"))?;
    if out.len() as u64 > MAX_JSON_BLOB {
        return Err(StoreError::malformed(what, "too large"));
    }
    Ok(out)
}

pub fn check_digest(bytes: &[u8], expected: &Digest) -> Result<(), StoreError> {
    let actual = Digest::of(bytes);
    if actual == *expected {
        Ok(())
    } else {
        Err(StoreError::DigestMismatch {
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

/// Copies everything read from `inner` into `sink` as well.
struct Tee<R, W> {
    inner: R,
    sink: W,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sink.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Ingests one layer blob. `expected` is its digest when the source names
/// it (OCI layouts); `media_type` None means "as the bytes say" (docker
/// archives). Returns the descriptor the store now has it under.
pub fn layer(
    store: &Store,
    blob: impl Read,
    expected: Option<&Digest>,
    diff_id: &Digest,
    media_type: Option<MediaType>,
) -> Result<Descriptor, StoreError> {
    let id = SnapshotId::for_layer(diff_id);
    let have_snapshot = store.snapshot_dir(&id).is_some();
    let tmp = store.tempdir()?;
    let fs_dir = tmp.path().join("fs");
    std::fs::create_dir(&fs_dir).ctx(|| format!("mkdir {}", fs_dir.display()))?;

    let mut tee = Tee {
        inner: blob,
        sink: store.blob_writer()?,
    };
    let corrupt = |e: io::Error| StoreError::CorruptLayer(e.to_string());
    let (kind, mut tar) = compress::decoder(&mut tee).map_err(corrupt)?;
    let got = if have_snapshot {
        let mut hashing = crate::digest::DigestReader::new(&mut tar);
        io::copy(&mut hashing, &mut io::sink()).map_err(corrupt)?;
        hashing.finish().0
    } else {
        layer::apply_layer(&mut tar, &fs_dir, &store.apply_options())
            .map_err(|e| e.in_layer(&diff_id.to_string()))?
    };
    drop(tar);
    // Whatever follows the compressed stream is still part of the blob.
    io::copy(&mut tee, &mut io::sink()).map_err(corrupt)?;
    if got != *diff_id {
        return Err(StoreError::DiffIdMismatch {
            expected: diff_id.to_string(),
            actual: got.to_string(),
        });
    }
    let (digest, size) = tee.sink.commit(expected)?;
    let media_type = media_type.unwrap_or(match kind {
        Detected::None => MediaType::ImageLayer,
        Detected::Gzip => MediaType::ImageLayerGzip,
        Detected::Zstd => MediaType::ImageLayerZstd,
    });
    if !have_snapshot {
        let meta = SnapshotMeta {
            diff_id: Some(got),
            written_in_boot: None,
            blobs: vec![BlobRecord {
                compression: String::new(),
                source_date_epoch: None,
                media_type: media_type.to_string(),
                digest,
                size,
            }],
        };
        store.commit_snapshot_with(&fs_dir, &id, &meta)?;
    }
    Ok(Descriptor::new(media_type, size, digest.to_oci()))
}

/// Parses and cross-checks a config against the manifest's layers.
pub fn parse_config(bytes: &[u8], layers: usize, what: &str) -> Result<Vec<Digest>, StoreError> {
    let config: ImageConfiguration =
        serde_json::from_slice(bytes).map_err(|e| StoreError::malformed(what, e))?;
    let diff_ids: Vec<Digest> = config
        .rootfs()
        .diff_ids()
        .iter()
        .map(|d| d.parse())
        .collect::<Result<_, _>>()?;
    if diff_ids.len() != layers {
        return Err(StoreError::malformed(
            what,
            format!("{} diff_ids for {layers} layers", diff_ids.len()),
        ));
    }
    Ok(diff_ids)
}

pub fn parse_manifest(bytes: &[u8], what: &str) -> Result<ImageManifest, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::malformed(what, e))
}
