//! A container keeps its image's content alive for gc while it exists,
//! through the store's pin mechanism: a `{"pins": ...}` record under
//! cache/ (see strata_store::Pins), `cache/containers/<id>.json`.

use std::path::PathBuf;

use strata_store::{Image, Pins, SnapshotId, Store};

use crate::error::{ContainerError, IoContext};

pub(crate) fn path(store: &Store, id: &str) -> PathBuf {
    store
        .cache_dir()
        .join("containers")
        .join(format!("{id}.json"))
}

/// Call under the store's shared lock, so gc cannot run between finding
/// the image and pinning it.
pub(crate) fn pin(store: &Store, id: &str, image: &Image) -> Result<(), ContainerError> {
    let mut blobs = vec![image.manifest_digest, image.config_digest];
    for layer in image.manifest.layers() {
        blobs.push(strata_store::Digest::from_oci(layer.digest())?);
    }
    let snapshots = image
        .diff_ids()?
        .iter()
        .map(SnapshotId::for_layer)
        .collect();
    let record = serde_json::json!({ "pins": Pins { snapshots, blobs } });
    let dest = path(store, id);
    let dir = store.cache_dir().join("containers");
    std::fs::create_dir_all(&dir).ctx("create", &dir)?;
    let tmp = dir.join(format!(".{id}.tmp"));
    std::fs::write(&tmp, record.to_string()).ctx("write", &tmp)?;
    std::fs::rename(&tmp, &dest).ctx("rename into place", &dest)
}

pub(crate) fn unpin(store: &Store, id: &str) -> Result<(), ContainerError> {
    let p = path(store, id);
    match std::fs::remove_file(&p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).ctx("remove", p),
        _ => Ok(()),
    }
}
