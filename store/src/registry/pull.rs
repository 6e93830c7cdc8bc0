//! Registry -> store: `pull_image` (verified, unpacked, named) and
//! `pull_artifact` (a manifest and its blobs, for build cache imports).

use std::io::{self, Write};

use oci_spec::image::MediaType;

use super::client::RegistryClient;
use super::counting::Counting;
use super::error::{RegistryError, Result};
use super::manifest::{Descriptor, FetchedManifest};
use super::options::ClientOptions;
use super::parallel;
use super::platform::Platform;
use super::progress::{BlobOutcome, Progress, TransferEvent};
use super::reference::RegistryRef;
use crate::blobs::MAX_JSON_BLOB;
use crate::digest::Digest;
use crate::image::Image;
use crate::reference::ImageRef;
use crate::snapshot::SnapshotId;
use crate::store::Store;
use crate::transport::ingest;

/// Pulls `source` for `platform` into the store: every blob checked
/// against its digest, every layer unpacked into a snapshot (so a hostile
/// layer is refused before anything is named), layers already in the store
/// not downloaded again. Names the image `source` when it has a tag, and
/// records the pull's time (last_pulled.rs).
/// The caller holds the store lock it needs (shared is enough).
pub fn pull_image(
    store: &Store,
    source: &ImageRef,
    platform: &Platform,
    options: &ClientOptions,
    progress: Progress<'_>,
) -> Result<Image> {
    let rref = RegistryRef::from_image_ref(source);
    let client = RegistryClient::new(rref.host(), options);
    let repo = rref.repository();
    let resolved = client.resolve_image(repo, rref.target(), platform)?;
    let manifest = resolved.manifest;
    let what = format!("manifest {}", manifest.digest);
    let parsed = ingest::parse_manifest(&manifest.bytes, &what)?;
    let config_bytes = small_blob(store, &client, repo, &resolved.image.config)?;
    let diff_ids = ingest::parse_config(
        &config_bytes,
        resolved.image.layers.len(),
        &format!("config {}", resolved.image.config.digest),
    )?;
    let layers: Vec<(&Descriptor, &Digest, MediaType)> = resolved
        .image
        .layers
        .iter()
        .zip(&diff_ids)
        .zip(parsed.layers())
        .map(|((d, id), oci)| (d, id, oci.media_type().clone()))
        .collect();
    for (d, _, media_type) in &layers {
        if !crate::media::is_layer(media_type) {
            return Err(RegistryError::UnsupportedMediaType(d.media_type.clone()));
        }
    }
    parallel::for_each(&layers, options.jobs, |(desc, diff_id, media_type)| {
        pull_layer(store, &client, repo, desc, diff_id, media_type, progress)
    })?;
    store.write_blob(&config_bytes)?;
    let digest = store.write_blob(&manifest.bytes)?;
    match (source.tag(), &resolved.platform) {
        // One platform of an index: the name keeps the platforms pulled
        // before, so a build for two platforms finds both bases.
        (Some(_), Some(platform)) => {
            store.join_index(source, &digest, platform)?;
            if let Some(index) = &resolved.index {
                store.record_pulled_through(source, &digest, &index.digest)?;
            }
        }
        (Some(_), None) => store.tag(source, &digest)?,
        (None, _) => {}
    }
    store.mark_pulled(source)?;
    Ok(store.image(&digest)?)
}

fn pull_layer(
    store: &Store,
    client: &RegistryClient,
    repo: &str,
    desc: &Descriptor,
    diff_id: &Digest,
    media_type: &MediaType,
    progress: Progress<'_>,
) -> Result<()> {
    let digest = &desc.digest;
    let unpacked = store
        .snapshot_dir(&SnapshotId::for_layer(diff_id))
        .is_some();
    reported(desc, progress, store.has_blob(digest) && unpacked, || {
        if store.has_blob(digest) {
            // Pushed or built here but never unpacked: unpack the local copy.
            ingest::layer(
                store,
                io::BufReader::with_capacity(1 << 20, store.open_blob(digest)?),
                Some(digest),
                diff_id,
                Some(media_type.clone()),
            )?;
            Ok(())
        } else {
            download_and_ingest(store, client, repo, desc, diff_id, media_type, progress)
        }
    })
}

/// Reports a blob's transfer around `fetch`; a blob that is `present`
/// already is reported skipped and not fetched.
fn reported(
    desc: &Descriptor,
    progress: Progress<'_>,
    present: bool,
    fetch: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let digest = &desc.digest;
    progress(TransferEvent::Started {
        digest: *digest,
        size: desc.size,
    });
    if present {
        progress(TransferEvent::Finished {
            digest: *digest,
            outcome: BlobOutcome::Skipped,
        });
        return Ok(());
    }
    fetch()?;
    progress(TransferEvent::Finished {
        digest: *digest,
        outcome: BlobOutcome::Transferred,
    });
    Ok(())
}

/// Streams the blob through a pipe into ingest, which writes the blob and
/// unpacks the snapshot in the same pass: download, decompression and
/// unpacking overlap, and nothing is written twice. Ingest commits only
/// content that matches the digest and diff_id, so a download that fails
/// halfway leaves nothing behind.
fn download_and_ingest(
    store: &Store,
    client: &RegistryClient,
    repo: &str,
    desc: &Descriptor,
    diff_id: &Digest,
    media_type: &MediaType,
    progress: Progress<'_>,
) -> Result<()> {
    let digest = &desc.digest;
    let (reader, writer) =
        io::pipe().map_err(RegistryError::io(format!("pipe for blob {digest}")))?;
    std::thread::scope(|s| {
        // When ingest fails it drops the reader, so the downloader's next
        // write fails instead of blocking.
        let unpacker = s.spawn(move || {
            ingest::layer(
                store,
                io::BufReader::with_capacity(1 << 20, reader),
                Some(digest),
                diff_id,
                Some(media_type.clone()),
            )
        });
        let mut counting = Counting::new(
            io::BufWriter::with_capacity(1 << 20, writer),
            digest,
            progress,
        );
        let downloaded = client.get_blob(repo, digest, &mut counting).and_then(|n| {
            counting
                .inner
                .flush()
                .map_err(RegistryError::io(format!("write blob {digest}")))?;
            Ok(n)
        });
        // Closing the pipe is the end of the blob for ingest.
        drop(counting);
        let ingested = unpacker.join().unwrap_or_else(|_| {
            Err(crate::StoreError::CorruptLayer(
                "layer unpacking panicked".into(),
            ))
        });
        match (downloaded, ingested) {
            // A write error is the pipe closed by a failed ingest: its
            // error is the real one. Otherwise the download's error
            // explains the ingest failure (a truncated stream).
            (Err(RegistryError::Io { .. }), Err(e)) => Err(e.into()),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(e.into()),
            (Ok(n), Ok(_)) if n != desc.size => Err(RegistryError::SizeMismatch {
                digest: digest.to_string(),
                expected: desc.size,
                actual: n,
            }),
            (Ok(_), Ok(_)) => Ok(()),
        }
    })
}

/// A config (or other JSON) blob: from the store if it is there, else
/// downloaded and checked; never more than MAX_JSON_BLOB bytes.
fn small_blob(
    store: &Store,
    client: &RegistryClient,
    repo: &str,
    desc: &Descriptor,
) -> Result<Vec<u8>> {
    if store.has_blob(&desc.digest) {
        return Ok(store.read_blob(&desc.digest)?);
    }
    if desc.size > MAX_JSON_BLOB {
        return Err(RegistryError::Malformed {
            host: client.host().to_owned(),
            what: format!("blob {}", desc.digest),
            reason: format!("{} bytes is too large for a JSON document", desc.size),
        });
    }
    let mut bytes = Vec::with_capacity(desc.size as usize);
    client.get_blob(repo, &desc.digest, &mut bytes)?;
    Ok(bytes)
}

/// An artifact pulled into the store: its manifest as the registry sent
/// it, with the config and every layer blob now in the store (not
/// unpacked: build cache exports are not necessarily layers of one image).
#[derive(Clone, Debug)]
pub struct PulledArtifact {
    pub manifest: FetchedManifest,
    pub config: Descriptor,
    pub blobs: Vec<Descriptor>,
}

/// Pulls a manifest and all the blobs it names into the store's blobs, as
/// they are; blobs the store has are not downloaded again.
pub fn pull_artifact(
    store: &Store,
    source: &ImageRef,
    options: &ClientOptions,
    progress: Progress<'_>,
) -> Result<PulledArtifact> {
    let rref = RegistryRef::from_image_ref(source);
    let client = RegistryClient::new(rref.host(), options);
    let repo = rref.repository();
    let manifest = client.get_manifest(repo, rref.target())?;
    let image = manifest.image(client.host())?;
    let mut all = vec![image.config.clone()];
    all.extend(image.layers.iter().cloned());
    parallel::for_each(&all, options.jobs, |desc| {
        raw_blob(store, &client, repo, desc, progress)
    })?;
    store.write_blob(&manifest.bytes)?;
    Ok(PulledArtifact {
        manifest,
        config: image.config,
        blobs: image.layers,
    })
}

fn raw_blob(
    store: &Store,
    client: &RegistryClient,
    repo: &str,
    desc: &Descriptor,
    progress: Progress<'_>,
) -> Result<()> {
    let digest = &desc.digest;
    reported(desc, progress, store.has_blob(digest), || {
        let mut w = store.blob_writer()?;
        let mut counting = Counting::new(&mut w, digest, progress);
        client.get_blob(repo, digest, &mut counting)?;
        w.commit(Some(digest))?;
        Ok(())
    })
}
