//! The lookup side of an import: an imported record becomes a local one
//! (its layer unpacked into a snapshot) the first time a step asks for it.

use strata_store::{Compression, Descriptor, Digest, LayerOptions, MediaType, SnapshotId, Store};

use super::{Imported, RemoteError};
use crate::cache::{CacheDir, CacheRecord, LayerRecord, layer_variant, parse_variant};

/// The local record for `key` made from `imported`, or `None` when no
/// import names the key. The layer blob must already be in the store
/// (imports fetch every blob up front); its digest and diff_id are checked
/// while it is unpacked.
pub fn adopt(
    store: &Store,
    cache: &CacheDir,
    imported: &Imported,
    key: &Digest,
) -> Result<Option<CacheRecord>, RemoteError> {
    let Some(exported) = imported.get(key) else {
        return Ok(None);
    };
    let mut snapshot_size = 0;
    let mut local = None;
    let snapshot = match &exported.layer {
        None => None,
        Some(layer) => {
            let (digest, diff_id) = (layer.digest, layer.diff_id);
            let desc = Descriptor::new(
                MediaType::from(layer.media_type.as_str()),
                layer.size,
                digest.to_oci(),
            );
            let dir = store.unpack_layer(&desc, &diff_id)?;
            let id = SnapshotId::for_layer(&diff_id);
            remember_variant(store, &id, layer, &exported.variant)?;
            if let Some((variant, plain)) = local_layer(store, &desc, &diff_id, &exported.variant)?
            {
                remember_variant(store, &id, &plain, &variant)?;
                local = Some((variant, plain));
            }
            snapshot_size = crate::cache::usage::tree_size(&dir);
            Some(SnapshotId::for_layer(&diff_id).as_str().to_string())
        }
    };
    let mut record = CacheRecord::new(exported.inputs.clone(), exported.origin.clone(), snapshot);
    record.created = exported.created;
    record.snapshot_size = Some(snapshot_size);
    if let Some(layer) = &exported.layer {
        record
            .layers
            .insert(exported.variant.clone(), layer.clone());
    }
    if let Some((variant, plain)) = local {
        record.layers.insert(variant, plain);
    }
    cache.put(&record)?;
    Ok(Some(record))
}

/// The uncompressed layer a local build keeps in the store for an adopted
/// compressed one, and its variant name: the build's image then lists the
/// same blob (digest = diff_id) as the original build's, so it gets the
/// same digest. `None` when the import already is that layer or names a
/// variant this version cannot read.
fn local_layer(
    store: &Store,
    desc: &Descriptor,
    diff_id: &Digest,
    variant: &str,
) -> Result<Option<(String, LayerRecord)>, RemoteError> {
    let Some(opts) = parse_variant(variant) else {
        return Ok(None);
    };
    if opts.compression == Compression::None {
        return Ok(None);
    }
    let plain = store.uncompressed_layer(desc, diff_id, Some(opts.compression))?;
    let local = LayerOptions {
        compression: Compression::None,
        ..opts
    };
    Ok(Some((
        layer_variant(&local),
        LayerRecord {
            digest: Digest::from_oci(plain.digest())?,
            diff_id: *diff_id,
            size: plain.size(),
            media_type: plain.media_type().to_string(),
        },
    )))
}

/// Tells the snapshot that `layer` is its blob in `variant` (made by the
/// exporter from the same tar), so `write_layer` in that variant reuses it
/// instead of tarring the snapshot again.
fn remember_variant(
    store: &Store,
    id: &SnapshotId,
    layer: &LayerRecord,
    variant: &str,
) -> Result<(), RemoteError> {
    let Some(opts) = parse_variant(variant) else {
        return Ok(());
    };
    let (compression, epoch) = (opts.compression.to_string(), opts.source_date_epoch);
    let mut meta = store.snapshot_meta(id)?;
    if meta
        .blobs
        .iter()
        .any(|b| b.compression == compression && b.source_date_epoch == epoch)
    {
        return Ok(());
    }
    // The store does not export its blob record type by name; its serde
    // form is public (snapshot meta files), so go through that.
    let Ok(record) = serde_json::from_value(serde_json::json!({
        "compression": compression,
        "source_date_epoch": epoch,
        "media_type": layer.media_type,
        "digest": layer.digest,
        "size": layer.size,
    })) else {
        return Ok(());
    };
    meta.blobs.push(record);
    store.set_snapshot_meta(id, &meta)?;
    Ok(())
}
