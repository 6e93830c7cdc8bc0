//! Layers leave the store compressed; inside it, layers a build made stay
//! uncompressed tars (compression costs far more than tarring and hashing,
//! and a build should not wait for it). [`Store::for_export`] gives the
//! image as it should leave: each uncompressed layer compressed (layers in
//! parallel, each blob deterministic: the same tar always gives the same
//! bytes), layers that came compressed (pulled, imported) untouched, so
//! base layer digests stay the registry's.

mod memo;
mod plain;

use crate::platform_index::{PlatformImage, StoredIndex};
use std::io::{self, BufReader, Write};
use std::time::{Duration, Instant};

use oci_spec::image::{Descriptor, MediaType};
use rayon::prelude::*;

use crate::canonical;
use crate::compress::{Compression, Encoder};
use crate::digest::{Digest, DigestReader};
use crate::error::{IoContext, StoreError};
use crate::image::Image;
use crate::media;
use crate::store::Store;

use memo::Variant;

/// One layer compressed on its way out of the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompressedLayer {
    /// The uncompressed blob (its digest is the layer's diff_id).
    pub plain: Digest,
    pub plain_size: u64,
    /// The compressed blob.
    pub digest: Digest,
    pub size: u64,
    pub compression: Compression,
    pub elapsed: Duration,
}

impl Store {
    /// `image` as it should leave the store with `compression`: the image
    /// itself when no layer needs compressing, else a new manifest (config
    /// unchanged: the diff_ids are the same) over compressed layer blobs,
    /// written into the store untagged. Hold [`Store::lock_shared`] until
    /// the result has been sent, so gc does not collect it first.
    pub fn for_export(&self, image: &Image, compression: Compression) -> Result<Image, StoreError> {
        self.for_export_with(image, compression, &|_| {})
    }

    /// [`Store::for_export`], telling `report` about each layer it had to
    /// compress (a remembered one costs nothing and is not reported).
    pub fn for_export_with(
        &self,
        image: &Image,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
    ) -> Result<Image, StoreError> {
        let layers: Vec<Descriptor> = image
            .manifest
            .layers()
            .par_iter()
            .map(|l| self.compressed_layer_with(l, compression, report))
            .collect::<Result<_, _>>()?;
        if layers.as_slice() == image.manifest.layers().as_slice() {
            return Ok(image.clone());
        }
        let mut manifest = image.manifest.clone();
        manifest.set_layers(layers);
        let manifest_digest = self.write_blob(&canonical::to_vec(&manifest)?)?;
        Ok(Image {
            manifest_digest,
            manifest,
            config: image.config.clone(),
            config_digest: image.config_digest,
        })
    }

    /// `index` as it should leave the store: each platform's image through
    /// [`Store::for_export_with`] and a new index over them when any of
    /// them changed, with the same annotations on it and its entries
    /// (written untagged; hold the shared lock until sent).
    pub fn index_for_export(
        &self,
        index: &StoredIndex,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
    ) -> Result<StoredIndex, StoreError> {
        let images = index
            .images
            .iter()
            .map(|p| {
                Ok(PlatformImage {
                    platform: p.platform.clone(),
                    image: self.for_export_with(&p.image, compression, report)?,
                    annotations: p.annotations.clone(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let unchanged = images
            .iter()
            .zip(&index.images)
            .all(|(a, b)| a.image.manifest_digest == b.image.manifest_digest);
        let digest = if unchanged {
            index.digest
        } else {
            // The new index says what the old one said.
            self.write_platform_index(&images, &index.annotations)?
        };
        Ok(StoredIndex {
            digest,
            media_type: index.media_type.clone(),
            images,
            annotations: index.annotations.clone(),
        })
    }

    /// The descriptor of `layer` compressed with `compression`: `layer`
    /// itself when it is already compressed (or `compression` is none),
    /// else a compressed blob, made once and remembered.
    pub fn compressed_layer(
        &self,
        layer: &Descriptor,
        compression: Compression,
    ) -> Result<Descriptor, StoreError> {
        self.compressed_layer_with(layer, compression, &|_| {})
    }

    fn compressed_layer_with(
        &self,
        layer: &Descriptor,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
    ) -> Result<Descriptor, StoreError> {
        let Some(media_type) = compressed_media_type(layer.media_type(), compression) else {
            return Ok(layer.clone());
        };
        let plain = Digest::from_oci(layer.digest())?;
        let variant = match self.remembered(&plain, compression) {
            Some(v) => v,
            None => {
                let started = Instant::now();
                let (digest, size) = self.compress_blob(&plain, compression)?;
                let v = Variant {
                    media_type: media_type.to_string(),
                    digest,
                    size,
                };
                self.remember(&plain, compression, v.clone())?;
                report(CompressedLayer {
                    plain,
                    plain_size: layer.size(),
                    digest: v.digest,
                    size,
                    compression,
                    elapsed: started.elapsed(),
                });
                v
            }
        };
        let mut out = layer.clone();
        out.set_media_type(MediaType::from(variant.media_type.as_str()));
        out.set_digest(variant.digest.to_oci());
        out.set_size(variant.size);
        Ok(out)
    }

    /// Streams blob `plain` through the compressor into a new blob,
    /// checking on the way that it still hashes to its name.
    fn compress_blob(
        &self,
        plain: &Digest,
        compression: Compression,
    ) -> Result<(Digest, u64), StoreError> {
        let file = self.open_blob(plain)?;
        let mut src = DigestReader::new(BufReader::with_capacity(1 << 20, file));
        let mut enc =
            Encoder::new(self.blob_writer()?, compression).ctx(|| "start compressor".to_owned())?;
        io::copy(&mut src, &mut enc).ctx(|| format!("compress layer {plain}"))?;
        let mut blob = enc.finish().ctx(|| "finish compressor".to_owned())?;
        blob.flush().ctx(|| "flush layer".to_owned())?;
        let (actual, _) = src.finish();
        if actual != *plain {
            return Err(StoreError::DigestMismatch {
                expected: plain.to_string(),
                actual: actual.to_string(),
            });
        }
        blob.commit(None)
    }
}

/// The media type an uncompressed layer gets once compressed; `None` when
/// the layer is to be sent as it is.
fn compressed_media_type(current: &MediaType, compression: Compression) -> Option<MediaType> {
    match (current, compression) {
        (_, Compression::None) => None,
        (MediaType::ImageLayer, c) => Some(media::layer_media_type(c)),
        // Docker's schema 2 knows gzip only: such a layer stays a plain
        // tar rather than become something docker clients cannot read.
        (MediaType::Other(m), Compression::Gzip { .. }) if m == media::DOCKER_LAYER_TAR => {
            Some(MediaType::Other(media::DOCKER_LAYER_GZIP.to_owned()))
        }
        _ => None,
    }
}
