//! `pull --all-platforms`: every platform's image of an index, and the
//! index itself, into the store under one name.

use super::client::RegistryClient;
use super::error::Result;
use super::options::ClientOptions;
use super::progress::Progress;
use super::pull::pull_image;
use super::reference::RegistryRef;
use crate::digest::Digest;
use crate::platform_index::PlatformImage;
use crate::reference::ImageRef;
use crate::store::Store;

/// Pulls every image `source`'s index lists (entries without a real
/// platform, such as BuildKit's attestation manifests of `unknown/unknown`,
/// are left out) and names the index `source`. The registry's own index
/// bytes are kept when every entry came, so the digest stays the one the
/// registry serves. A single image is pulled as it is. Returns the digest
/// the name points at.
pub fn pull_all_platforms(
    store: &Store,
    source: &ImageRef,
    options: &ClientOptions,
    progress: Progress<'_>,
) -> Result<Digest> {
    let rref = RegistryRef::from_image_ref(source);
    let client = RegistryClient::new(rref.host(), options);
    let top = client.get_manifest(rref.repository(), rref.target())?;
    if !top.kind.is_index() {
        let host = crate::Platform::host();
        return Ok(pull_image(store, source, &host, options, progress)?.manifest_digest);
    }
    let entries = top.index_entries(rref.host())?;
    let mut images = Vec::new();
    for entry in &entries {
        let Some(platform) = entry.platform.as_ref().filter(|p| p.os != "unknown") else {
            continue;
        };
        let by_digest = ImageRef::parse(&format!("{}@{}", source.name(), entry.digest))?;
        let image = pull_image(store, &by_digest, platform, options, progress)?;
        images.push(PlatformImage {
            platform: platform.clone(),
            image,
            annotations: entry.annotations.clone(),
        });
    }
    let digest = if images.len() == entries.len() {
        store.write_blob(&top.bytes)?
    } else {
        store.write_platform_index(&images, &top.index_annotations(rref.host())?)?
    };
    if source.tag().is_some() {
        store.tag(source, &digest)?;
    }
    store.mark_pulled(source)?;
    Ok(digest)
}
