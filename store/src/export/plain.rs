//! The way back: the uncompressed tar of a compressed layer, as a blob
//! whose digest is the layer's diff_id. A layer adopted from a remote
//! cache arrives compressed; the image a build makes from it must list the
//! same uncompressed blob the original build listed, or its digest would
//! differ.

use std::io::{self, BufReader};

use oci_spec::image::{Descriptor, MediaType};

use super::memo::Variant;
use crate::compress::{self, Compression};
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::store::Store;

impl Store {
    /// The uncompressed blob of `layer`, whose tar must hash to `diff_id`.
    /// `made_with`, when known, is how `layer` was compressed: it is then
    /// remembered as that variant, so exporting the layer again sends
    /// `layer`'s own bytes without compressing anything.
    pub fn uncompressed_layer(
        &self,
        layer: &Descriptor,
        diff_id: &Digest,
        made_with: Option<Compression>,
    ) -> Result<Descriptor, StoreError> {
        let digest = Digest::from_oci(layer.digest())?;
        if digest == *diff_id {
            return Ok(layer.clone());
        }
        let size = if self.has_blob(diff_id) {
            let path = self.blob_path(diff_id);
            std::fs::metadata(&path)
                .ctx(|| format!("stat {}", path.display()))?
                .len()
        } else {
            let file = self.open_blob(&digest)?;
            let (_, mut tar) = compress::decoder(BufReader::with_capacity(1 << 20, file))
                .map_err(|e| StoreError::CorruptLayer(e.to_string()))?;
            let mut blob = self.blob_writer()?;
            io::copy(&mut tar, &mut blob).map_err(|e| StoreError::CorruptLayer(e.to_string()))?;
            match blob.commit(Some(diff_id)) {
                Ok((_, size)) => size,
                Err(StoreError::DigestMismatch { expected, actual }) => {
                    return Err(StoreError::DiffIdMismatch { expected, actual });
                }
                Err(e) => return Err(e),
            }
        };
        if let Some(c) = made_with.filter(|c| *c != Compression::None) {
            let variant = Variant {
                media_type: layer.media_type().to_string(),
                digest,
                size: layer.size(),
            };
            self.remember(diff_id, c, variant)?;
        }
        Ok(Descriptor::new(
            MediaType::ImageLayer,
            size,
            diff_id.to_oci(),
        ))
    }
}
