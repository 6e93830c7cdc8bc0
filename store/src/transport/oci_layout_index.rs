//! `pull --all-platforms oci:DIR[:REF]`: a layout's image index comes into
//! the store whole, every platform's image and the index itself, named
//! with the layout entry's descriptor annotations (buildx's
//! `index-descriptor`), so a push back to a layout writes the same entry.

use oci_spec::image::{Descriptor, ImageIndex};
use strata_platform::Platform;

use super::oci_layout::{self, Layout};
use crate::annotations::Annotations;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::media;
use crate::platform_index::PlatformImage;
use crate::store::Store;

fn platform_of(d: &Descriptor) -> Option<Platform> {
    let p = d.platform().as_ref()?;
    // Attestation manifests (buildx's unknown/unknown) are no platform's.
    let os = p.os().to_string();
    (os != "unknown")
        .then(|| Platform::new(&os, &p.architecture().to_string(), p.variant().as_deref()))
}

/// Imports what `reference` names with every platform of it: an index's
/// digest (the layout's own bytes when every entry is an image of a
/// platform, else an index of those that are), or a single image's
/// manifest digest; with the layout's name for it and its entry's
/// descriptor annotations.
pub fn import_all_platforms(
    store: &Store,
    layout: &dyn Layout,
    reference: Option<&str>,
) -> Result<(Digest, Option<String>, Annotations), StoreError> {
    let (top, name) = oci_layout::top(layout, reference)?;
    let annotations = Annotations::of_descriptor(&top);
    if !media::is_index(top.media_type()) {
        return Ok((
            oci_layout::import_manifest(store, layout, &top)?,
            name,
            annotations,
        ));
    }
    let digest = Digest::from_oci(top.digest())?;
    let bytes = layout.small_blob(&digest)?;
    let index: ImageIndex = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::malformed(format!("index {digest}"), e))?;
    let mut images = Vec::new();
    for entry in index.manifests() {
        let Some(platform) = platform_of(entry).filter(|_| !media::is_index(entry.media_type()))
        else {
            continue;
        };
        let manifest = oci_layout::import_manifest(store, layout, entry)?;
        images.push(PlatformImage {
            platform,
            image: store.image(&manifest)?,
            annotations: Annotations::of_descriptor(entry),
        });
    }
    if images.is_empty() {
        return Err(StoreError::malformed(
            format!("index {digest}"),
            "no image of any platform",
        ));
    }
    let stored = if images.len() == index.manifests().len() {
        store.write_blob(&bytes)?
    } else {
        let own: Annotations = index
            .annotations()
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        store.write_platform_index(&images, &own)?
    };
    Ok((stored, name, annotations))
}
