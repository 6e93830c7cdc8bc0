//! Records of a build and their layer blobs, as an artifact manifest.

use std::collections::BTreeSet;

use strata_store::{Compression, Descriptor, Digest, LayerOptions, MediaType, SnapshotId, Store};

use super::{CONFIG_MEDIA_TYPE, CacheConfig, ExportedMount, ExportedRecord, RemoteError};
use crate::cache::{CacheDir, CacheRecord, LayerRecord, layer_variant};

/// A cache export ready to send: every blob it names is in the store.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub manifest: Vec<u8>,
    pub manifest_digest: Digest,
    /// The config first, then the layers, as (digest, size).
    pub blobs: Vec<(Digest, u64)>,
    pub records: usize,
    /// Cache mounts it carries.
    pub mounts: usize,
}

/// Exports the records of `keys` (in order, duplicates once), their layers
/// compressed as `layer` says: a record with no blob in that variant yet
/// gets one made from its uncompressed store layer (itself written from
/// the snapshot if missing).
/// Keys without a record, or whose snapshot is gone, are left out.
pub fn export(
    store: &Store,
    cache: &CacheDir,
    keys: &[Digest],
    layer: &LayerOptions,
) -> Result<Artifact, RemoteError> {
    export_with_mounts(store, cache, keys, Vec::new(), layer)
}

/// [`export`], carrying `mounts` (see [`super::export_mounts`]) too: their
/// layers follow the records'.
pub fn export_with_mounts(
    store: &Store,
    cache: &CacheDir,
    keys: &[Digest],
    mounts: Vec<ExportedMount>,
    layer: &LayerOptions,
) -> Result<Artifact, RemoteError> {
    let variant = layer_variant(layer);
    let mut seen = BTreeSet::new();
    let mut records = Vec::new();
    for key in keys {
        if !seen.insert(*key) {
            continue;
        }
        let Some(rec) = cache.get(key)? else {
            continue;
        };
        if let Some(exported) = exported(store, cache, &rec, &variant, layer)? {
            records.push(exported);
        }
    }
    let config = serde_json::to_vec(&CacheConfig {
        records: records.clone(),
        mounts: mounts.clone(),
    })
    .map_err(|e| RemoteError::Spec(format!("cache config: {e}")))?;
    let config_digest = store.write_blob(&config)?;
    let mut blobs = vec![(config_digest, config.len() as u64)];
    let mut layers = Vec::new();
    let record_layers = records.iter().filter_map(|r| r.layer.as_ref());
    for layer in record_layers.chain(mounts.iter().map(|m| &m.layer)) {
        let digest = layer.digest;
        if blobs.iter().any(|(d, _)| *d == digest) {
            continue;
        }
        blobs.push((digest, layer.size));
        layers.push(serde_json::json!({
            "mediaType": layer.media_type,
            "digest": layer.digest,
            "size": layer.size,
        }));
    }
    // serde_json's map is sorted: equal exports are equal bytes.
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": CONFIG_MEDIA_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": config_digest.to_string(),
            "size": config.len(),
        },
        "layers": layers,
    });
    let manifest = serde_json::to_vec(&manifest)
        .map_err(|e| RemoteError::Spec(format!("cache manifest: {e}")))?;
    let manifest_digest = store.write_blob(&manifest)?;
    Ok(Artifact {
        manifest,
        manifest_digest,
        blobs,
        records: records.len(),
        mounts: mounts.len(),
    })
}

fn exported(
    store: &Store,
    cache: &CacheDir,
    rec: &CacheRecord,
    variant: &str,
    opts: &LayerOptions,
) -> Result<Option<ExportedRecord>, RemoteError> {
    let layer = match &rec.snapshot {
        None => None,
        Some(id) => match recorded(store, rec, variant) {
            Some(l) => Some(l),
            None => {
                let Some(plain) = local_layer(store, cache, rec, id, opts)? else {
                    return Ok(None);
                };
                let l = compressed(store, &plain, opts.compression)?;
                if l != plain {
                    cache.record_layer(&rec.key, variant, l.clone())?;
                }
                Some(l)
            }
        },
    };
    Ok(Some(ExportedRecord {
        key: rec.key,
        inputs: rec.inputs.clone(),
        origin: rec.origin.clone(),
        created: rec.created,
        layer,
        variant: variant.to_string(),
    }))
}

/// The record's layer in `variant`, if its blob is still in the store.
fn recorded(store: &Store, rec: &CacheRecord, variant: &str) -> Option<LayerRecord> {
    rec.layers
        .get(variant)
        .filter(|l| store.has_blob(&l.digest))
        .cloned()
}

/// The uncompressed layer the build keeps in the store for this record
/// (written from its snapshot if it is missing); `None` when the snapshot
/// is gone too.
fn local_layer(
    store: &Store,
    cache: &CacheDir,
    rec: &CacheRecord,
    snapshot: &str,
    opts: &LayerOptions,
) -> Result<Option<LayerRecord>, RemoteError> {
    let local = LayerOptions {
        compression: Compression::None,
        source_date_epoch: opts.source_date_epoch,
    };
    let local_variant = layer_variant(&local);
    if let Some(l) = recorded(store, rec, &local_variant) {
        return Ok(Some(l));
    }
    let Some(dir) = SnapshotId::new(snapshot)
        .ok()
        .and_then(|id| store.snapshot_dir(&id))
    else {
        return Ok(None);
    };
    let info = store.write_layer(&dir, &local)?;
    let l = LayerRecord {
        digest: Digest::from_oci(info.descriptor.digest())?,
        diff_id: info.diff_id,
        size: info.descriptor.size(),
        media_type: info.descriptor.media_type().to_string(),
    };
    cache.record_layer(&rec.key, &local_variant, l.clone())?;
    Ok(Some(l))
}

/// `plain` compressed as exports send it: the store compresses each layer
/// once and remembers it, so a push of the image reuses the same blob.
fn compressed(
    store: &Store,
    plain: &LayerRecord,
    compression: Compression,
) -> Result<LayerRecord, RemoteError> {
    let digest = plain.digest;
    let desc = Descriptor::new(
        MediaType::from(plain.media_type.as_str()),
        plain.size,
        digest.to_oci(),
    );
    let out = store.compressed_layer(&desc, compression)?;
    Ok(LayerRecord {
        digest: Digest::from_oci(out.digest())?,
        diff_id: plain.diff_id,
        size: out.size(),
        media_type: out.media_type().to_string(),
    })
}
