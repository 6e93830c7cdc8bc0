//! Store -> registry: `push_image` and `push_artifact`. Blobs the registry
//! has are not sent (HEAD first); blobs go up on a few threads; the
//! manifest goes last, so a reader never sees a manifest whose blobs are
//! missing.

use std::io;

use super::blob::BlobPush;
use super::client::RegistryClient;
use super::counting::Counting;
use super::error::Result;
use super::manifest::ManifestKind;
use super::options::ClientOptions;
use super::parallel;
use super::progress::{BlobOutcome, Progress, TransferEvent};
use super::reference::{RegistryRef, Target};
use crate::digest::Digest;
use crate::image::Image;
use crate::reference::ImageRef;
use crate::store::Store;

/// Pushes `image` (its exact manifest bytes, so the digest stays the same)
/// to `dest`. Layers go as they are in the store: pass the image through
/// [`Store::for_export`] first to send its uncompressed layers compressed. `mount_from` names another repository on the same registry
/// that may hold the blobs (e.g. the base image's), to mount instead of
/// upload. Returns the manifest digest.
pub fn push_image(
    store: &Store,
    image: &Image,
    dest: &ImageRef,
    mount_from: Option<&str>,
    options: &ClientOptions,
    progress: Progress<'_>,
) -> Result<Digest> {
    let mut blobs = vec![(image.config_digest, image.manifest.config().size())];
    for l in image.manifest.layers() {
        blobs.push((Digest::from_oci(l.digest())?, l.size()));
    }
    let manifest = store.read_blob(&image.manifest_digest)?;
    let kind = match image.manifest.media_type() {
        Some(m) => m.to_string().parse()?,
        None => ManifestKind::OciManifest,
    };
    push_artifact(
        store, dest, kind, &manifest, &blobs, mount_from, options, progress,
    )
}

/// Pushes `blobs` (digest, size; all in the store) and then `manifest`
/// under `dest`'s tag (or digest). The generic form behind `push_image`,
/// for build cache exports.
#[allow(clippy::too_many_arguments)]
pub fn push_artifact(
    store: &Store,
    dest: &ImageRef,
    kind: ManifestKind,
    manifest: &[u8],
    blobs: &[(Digest, u64)],
    mount_from: Option<&str>,
    options: &ClientOptions,
    progress: Progress<'_>,
) -> Result<Digest> {
    let rref = RegistryRef::from_image_ref(dest);
    let client = RegistryClient::new(rref.host(), options);
    let repo = rref.repository();
    parallel::for_each(blobs, options.jobs, |(digest, size)| {
        push_one(store, &client, repo, digest, *size, mount_from, progress)
    })?;
    let target = match rref.target() {
        Target::Digest(d) => Target::Digest(*d),
        Target::Tag(t) => Target::Tag(t.clone()),
    };
    client.put_manifest(repo, &target, kind, manifest)
}

fn push_one(
    store: &Store,
    client: &RegistryClient,
    repo: &str,
    digest: &Digest,
    size: u64,
    mount_from: Option<&str>,
    progress: Progress<'_>,
) -> Result<()> {
    progress(TransferEvent::Started {
        digest: *digest,
        size,
    });
    let file = store.open_blob(digest)?;
    let mut reader = Counting::new(
        io::BufReader::with_capacity(1 << 20, file),
        digest,
        progress,
    );
    let how = client.push_blob_stream(repo, digest, size, &mut reader, mount_from)?;
    progress(TransferEvent::Finished {
        digest: *digest,
        outcome: match how {
            BlobPush::Present => BlobOutcome::Skipped,
            BlobPush::Mounted => BlobOutcome::Mounted,
            BlobPush::Uploaded => BlobOutcome::Transferred,
        },
    });
    Ok(())
}
