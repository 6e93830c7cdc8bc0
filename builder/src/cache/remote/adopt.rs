//! The lookup side of an import: an imported record becomes a local one
//! (its layer unpacked into a snapshot) the first time a step asks for it.

use strata_store::{Descriptor, Digest, MediaType, SnapshotId, Store};

use super::{Imported, RemoteError};
use crate::cache::{CacheDir, CacheRecord};
use crate::digest::Sha256;

/// The local record for `key` made from `imported`, or `None` when no
/// import names the key. The layer blob must already be in the store
/// (imports fetch every blob up front); its digest and diff_id are checked
/// while it is unpacked.
pub fn adopt(
    store: &Store,
    cache: &CacheDir,
    imported: &Imported,
    key: &Sha256,
) -> Result<Option<CacheRecord>, RemoteError> {
    let Some(exported) = imported.get(key) else {
        return Ok(None);
    };
    let mut snapshot_size = 0;
    let snapshot = match &exported.layer {
        None => None,
        Some(layer) => {
            let digest: Digest = layer.digest.parse()?;
            let diff_id: Digest = layer.diff_id.parse()?;
            let desc = Descriptor::new(
                MediaType::from(layer.media_type.as_str()),
                layer.size,
                digest.to_oci(),
            );
            let dir = store.unpack_layer(&desc, &diff_id)?;
            remember_variant(
                store,
                &SnapshotId::for_layer(&diff_id),
                layer,
                &exported.variant,
            )?;
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
    cache.put(&record)?;
    Ok(Some(record))
}

/// Tells the snapshot that `layer` is its blob in `variant` (the
/// exporter's `write_layer` made it from the same files), so the image
/// export reuses it instead of compressing the snapshot again.
fn remember_variant(
    store: &Store,
    id: &SnapshotId,
    layer: &crate::cache::LayerRecord,
    variant: &str,
) -> Result<(), RemoteError> {
    let (compression, epoch) = match variant.split_once('@') {
        Some((c, e)) => match e.parse::<u64>() {
            Ok(e) => (c, Some(e)),
            Err(_) => return Ok(()),
        },
        None => (variant, None),
    };
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
