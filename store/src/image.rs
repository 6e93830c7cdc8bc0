//! Images in the store: resolving names, reading manifests and configs,
//! writing layers and images, unpacking layers into snapshots.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use oci_spec::image::{
    Descriptor, ImageConfiguration, ImageManifest, ImageManifestBuilder, MediaType,
};

use crate::canonical;
use crate::compress::{self, Compression, Encoder};
use crate::digest::{Digest, DigestReader, DigestWriter};
use crate::error::{IoContext, StoreError};
use crate::layer::{self, LayerInfo, LayerOptions};
use crate::media;
use crate::reference::ImageRef;
use crate::snapshot::{BlobRecord, SnapshotId, SnapshotMeta};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct Image {
    pub manifest_digest: Digest,
    pub manifest: ImageManifest,
    pub config: ImageConfiguration,
    pub config_digest: Digest,
}

impl Image {
    /// The config's diff_ids, as typed digests.
    pub fn diff_ids(&self) -> Result<Vec<Digest>, StoreError> {
        self.config
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| d.parse())
            .collect()
    }
}

impl Store {
    /// Looks `name` up by digest (if it has one) or by its full name.
    pub fn resolve(&self, name: &ImageRef) -> Result<Option<Image>, StoreError> {
        if let Some(d) = name.digest() {
            return if self.has_blob(d) {
                self.image(d).map(Some)
            } else {
                Ok(None)
            };
        }
        let full = name.to_string();
        match self
            .names()?
            .into_iter()
            .rev()
            .find(|n| n.name.to_string() == full)
        {
            Some(n) => self.image(&n.manifest_digest).map(Some),
            None => Ok(None),
        }
    }

    /// Resolves what a user typed: a name, `sha256:HEX`, or a unique prefix
    /// (at least 4 hex digits) of a manifest or config digest.
    pub fn resolve_str(&self, s: &str) -> Result<Option<Image>, StoreError> {
        if let Ok(d) = s.parse::<Digest>() {
            return if self.has_blob(&d) {
                self.image(&d).map(Some)
            } else {
                Ok(None)
            };
        }
        let prefix = s.strip_prefix("sha256:").unwrap_or(s);
        if prefix.len() >= 4 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut hits = Vec::new();
            for n in self.names()? {
                // An index without this machine's platform names no image
                // here; it must not hide the others from the search.
                let Ok(img) = self.image(&n.manifest_digest) else {
                    continue;
                };
                let matches = n.manifest_digest.hex().starts_with(prefix)
                    || img.manifest_digest.hex().starts_with(prefix)
                    || img.config_digest.hex().starts_with(prefix);
                let seen = hits
                    .iter()
                    .any(|h: &Image| h.manifest_digest == img.manifest_digest);
                if matches && !seen {
                    hits.push(img);
                }
            }
            if hits.len() == 1 {
                return Ok(hits.pop());
            }
            if hits.len() > 1 {
                return Err(StoreError::AmbiguousSource(s.to_owned()));
            }
        }
        self.resolve(&ImageRef::parse(s)?)
    }

    /// Reads and checks the image whose manifest is `manifest_digest`.
    pub fn image(&self, manifest_digest: &Digest) -> Result<Image, StoreError> {
        let bytes = self.read_blob(manifest_digest)?;
        // A multi-platform name used where one image is wanted means this
        // machine's image, as in docker; [`Store::image_for`] picks another.
        if crate::platform_index::declared_media_type(&bytes)
            .is_some_and(|m| media::is_index(&MediaType::from(m.as_str())))
        {
            return self.image_for(manifest_digest, &strata_platform::Platform::host());
        }
        let manifest: ImageManifest = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::malformed(format!("manifest {manifest_digest}"), e))?;
        let config_digest = Digest::from_oci(manifest.config().digest())?;
        let config_bytes = self.read_blob(&config_digest)?;
        let config: ImageConfiguration = serde_json::from_slice(&config_bytes)
            .map_err(|e| StoreError::malformed(format!("config {config_digest}"), e))?;
        let image = Image {
            manifest_digest: *manifest_digest,
            manifest,
            config,
            config_digest,
        };
        if image.diff_ids()?.len() != image.manifest.layers().len() {
            return Err(StoreError::malformed(
                format!("image {manifest_digest}"),
                "config lists a different number of diff_ids than the manifest has layers",
            ));
        }
        Ok(image)
    }

    /// Writes the layer tar of `snapshot` as a blob, compressed as `opts`
    /// says (builds write theirs uncompressed: `Compression::None`). A snapshot
    /// committed in this store remembers its blobs, so asking twice with the
    /// same options costs nothing the second time.
    pub fn write_layer(
        &self,
        snapshot: &Path,
        opts: &LayerOptions,
    ) -> Result<LayerInfo, StoreError> {
        let id = self.snapshot_id_of(snapshot);
        let mut meta = match &id {
            Some(id) => self.snapshot_meta(id)?,
            None => SnapshotMeta::default(),
        };
        let compression = opts.compression.to_string();
        let cached = meta.blobs.iter().find(|b| {
            b.compression == compression
                && b.source_date_epoch == opts.source_date_epoch
                && self.has_blob(&b.digest)
        });
        if let (Some(diff_id), Some(rec)) = (&meta.diff_id, cached) {
            return Ok(LayerInfo {
                descriptor: Descriptor::new(
                    MediaType::from(rec.media_type.as_str()),
                    rec.size,
                    rec.digest.to_oci(),
                ),
                diff_id: *diff_id,
            });
        }
        let blob = self.blob_writer()?;
        let (digest, size, diff_id) = if opts.compression == Compression::None {
            // The tar is the blob: its digest is the diff_id, hashed once.
            let mut blob = layer::write_tar(snapshot, blob, opts.source_date_epoch)?;
            blob.flush().ctx(|| "flush layer".to_owned())?;
            let (digest, size) = blob.commit(None)?;
            (digest, size, digest)
        } else {
            let enc = Encoder::new(blob, opts.compression).ctx(|| "start compressor".to_owned())?;
            let tar_out =
                layer::write_tar(snapshot, DigestWriter::new(enc), opts.source_date_epoch)?;
            let (enc, diff_id, _) = tar_out.finish();
            let mut blob = enc.finish().ctx(|| "finish compressor".to_owned())?;
            blob.flush().ctx(|| "flush layer".to_owned())?;
            let (digest, size) = blob.commit(None)?;
            (digest, size, diff_id)
        };
        let media_type = media::layer_media_type(opts.compression);
        if let Some(id) = &id {
            meta.diff_id = Some(diff_id);
            meta.blobs.retain(|b| {
                !(b.compression == compression && b.source_date_epoch == opts.source_date_epoch)
            });
            meta.blobs.push(BlobRecord {
                compression,
                source_date_epoch: opts.source_date_epoch,
                media_type: media_type.to_string(),
                digest,
                size,
            });
            self.set_snapshot_meta(id, &meta)?;
        }
        Ok(LayerInfo {
            descriptor: Descriptor::new(media_type, size, digest.to_oci()),
            diff_id,
        })
    }

    /// Writes `config` and an OCI manifest over `layers`; returns the
    /// manifest digest. Both are canonical JSON, so equal inputs give equal
    /// digests.
    pub fn write_image(
        &self,
        config: &ImageConfiguration,
        layers: &[Descriptor],
    ) -> Result<Digest, StoreError> {
        if config.rootfs().diff_ids().len() != layers.len() {
            return Err(StoreError::malformed(
                "image",
                format!(
                    "{} layers but the config lists {} diff_ids",
                    layers.len(),
                    config.rootfs().diff_ids().len()
                ),
            ));
        }
        for l in layers {
            let d = Digest::from_oci(l.digest())?;
            if !self.has_blob(&d) {
                return Err(StoreError::BlobMissing(d.to_string()));
            }
        }
        self.write_manifest(&canonical::to_vec(config)?, layers.to_vec())
    }

    /// Writes the config blob as these exact bytes (a builder's config
    /// keeps fields the OCI type drops) and an image manifest naming it and
    /// `layers`, canonical JSON; returns the manifest's digest. The one
    /// writer of image manifests.
    pub fn write_manifest(
        &self,
        config_bytes: &[u8],
        layers: Vec<Descriptor>,
    ) -> Result<Digest, StoreError> {
        self.write_manifest_annotated(config_bytes, layers, &BTreeMap::new())
    }

    /// [`Store::write_manifest`] with the manifest's `annotations` (none:
    /// the field is left out, so plain manifests keep their digests).
    pub fn write_manifest_annotated(
        &self,
        config_bytes: &[u8],
        layers: Vec<Descriptor>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Digest, StoreError> {
        let config_digest = self.write_blob(config_bytes)?;
        let mut manifest = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(Descriptor::new(
                MediaType::ImageConfig,
                config_bytes.len() as u64,
                config_digest.to_oci(),
            ))
            .layers(layers)
            .build()?;
        if !annotations.is_empty() {
            manifest.set_annotations(Some(annotations.clone().into_iter().collect()));
        }
        self.write_blob(&canonical::to_vec(&manifest)?)
    }

    /// Each layer of `image` unpacked into its snapshot (made once, keyed by
    /// diff_id), lowest first: the overlay lower dirs of the image.
    pub fn layer_snapshots(&self, image: &Image) -> Result<Vec<PathBuf>, StoreError> {
        let diff_ids = image.diff_ids()?;
        let mut out = Vec::with_capacity(diff_ids.len());
        for (desc, diff_id) in image.manifest.layers().iter().zip(&diff_ids) {
            out.push(self.unpack_layer(desc, diff_id)?);
        }
        Ok(out)
    }

    /// Unpacks one layer blob into snapshot `layer-<diff_id>`, checking
    /// both the blob digest and the diff_id on the way.
    pub fn unpack_layer(&self, desc: &Descriptor, diff_id: &Digest) -> Result<PathBuf, StoreError> {
        let id = SnapshotId::for_layer(diff_id);
        if let Some(dir) = self.snapshot_dir(&id) {
            return Ok(dir);
        }
        let digest = Digest::from_oci(desc.digest())?;
        let file = self.open_blob(&digest)?;
        let tmp = self.tempdir()?;
        let fs_dir = tmp.path().join("fs");
        std::fs::create_dir(&fs_dir).ctx(|| format!("mkdir {}", fs_dir.display()))?;
        let mut raw = DigestReader::new(std::io::BufReader::new(file));
        let (_, tar) =
            compress::decoder(&mut raw).map_err(|e| StoreError::CorruptLayer(e.to_string()))?;
        let got = layer::apply_layer(tar, &fs_dir, &self.apply_options())
            .map_err(|e| e.in_layer(&digest.to_string()))?;
        std::io::copy(&mut raw, &mut std::io::sink()).ctx(|| format!("read blob {digest}"))?;
        let (blob_digest, size) = raw.finish();
        if blob_digest != digest {
            return Err(StoreError::DigestMismatch {
                expected: digest.to_string(),
                actual: blob_digest.to_string(),
            });
        }
        if got != *diff_id {
            return Err(StoreError::DiffIdMismatch {
                expected: diff_id.to_string(),
                actual: got.to_string(),
            });
        }
        let meta = SnapshotMeta {
            diff_id: Some(got),
            written_in_boot: None,
            blobs: vec![BlobRecord {
                compression: String::new(),
                source_date_epoch: None,
                media_type: desc.media_type().to_string(),
                digest,
                size,
            }],
        };
        self.commit_snapshot_with(&fs_dir, &id, &meta)
    }
}
