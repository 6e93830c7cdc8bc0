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
