//! Cache mounts that travel (`--cache-to ...,cache-mounts=true`): the
//! contents of the `RUN --mount=type=cache` directories a build's steps name
//! go as layers beside the step records, and on a store that lacks such a
//! directory the import is its first content (moby/buildkit#1512).
//!
//! A cache with `from=` travels with its seed, the content digest of what
//! seeded it (the key input of its step): an importing build whose `from=`
//! has that same content takes the exported cache instead of a fresh copy
//! of the seed, and one whose seed differs starts from its own seed.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use strata_store::layer::{ApplyOptions, WhiteoutMode, apply_layer};
use strata_store::{Digest, LayerOptions, Store};

use super::RemoteError;
use crate::cache::LayerRecord;
use crate::cache::mounts::{self, instance_paths};

/// One exported cache directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedMount {
    /// The mount's `id=` (its target when it has none).
    pub id: String,
    /// For a cache with `from=`: the content digest of what seeded it.
    /// Absent for the others, so their records read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The sharing mode it was last used with.
    pub sharing: String,
    /// The directory's own mode and owner when it was exported. On import
    /// the importing mount's `mode=`/`uid=`/`gid=` make the directory, as
    /// they make any new cache; the files inside keep theirs.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// The directory's contents as a layer tar.
    pub layer: LayerRecord,
}

/// The cache directories `caches` name (id, and seed for a cache with
/// `from=`) that this store has, each tarred (as `opts` compresses) while
/// holding its lock shared, so no `locked` build writes it meanwhile. A
/// cache with no directory here is left out.
pub fn export_mounts(
    store: &Store,
    caches: &[(String, Option<String>)],
    opts: &LayerOptions,
) -> Result<Vec<ExportedMount>, RemoteError> {
    let known = mounts::list(store)?;
    let mut out = Vec::new();
    for (id, seed) in caches.iter().collect::<BTreeSet<_>>() {
        let (dir, lock_path) = instance_paths(store, id, seed.as_deref());
        if !dir.is_dir() {
            continue;
        }
        let lock = crate::cache::lock::open(&lock_path).map_err(RemoteError::io(&lock_path))?;
        lock.lock_shared().map_err(RemoteError::io(&lock_path))?;
        let meta = std::fs::metadata(&dir).map_err(RemoteError::io(&dir))?;
        let info = store.write_layer(&dir, opts)?;
        drop(lock);
        let sharing = known
            .iter()
            .find(|m| m.dir == dir)
            .map_or_else(|| "shared".to_string(), |m| m.meta.sharing.clone());
        out.push(ExportedMount {
            id: id.to_string(),
            seed: seed.clone(),
            sharing,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            layer: LayerRecord {
                digest: Digest::from_oci(info.descriptor.digest())?,
                diff_id: info.diff_id,
                size: info.descriptor.size(),
                media_type: info.descriptor.media_type().to_string(),
            },
        });
    }
    Ok(out)
}

/// Unpacks an imported cache's layer (its blob already in the store) into
/// `dir`, a cache directory being made; the tar is checked against the
/// exporter's diff_id. Names are kept as they are: a cache holds no
/// whiteouts, so a `.wh.` file in it is a file. Device nodes are skipped:
/// the directory is bind-mounted into later steps, and a cache from a
/// registry must not hand them a node for the host's disk.
pub fn fill_mount(store: &Store, mount: &ExportedMount, dir: &Path) -> Result<(), RemoteError> {
    let digest: Digest = mount.layer.digest;
    let expected: Digest = mount.layer.diff_id;
    let blob = store.open_blob(&digest)?;
    let (_, tar) = strata_store::compress::decoder(std::io::BufReader::new(blob))
        .map_err(RemoteError::io(store.blob_path(&digest)))?;
    let opts = ApplyOptions {
        whiteouts: WhiteoutMode::Literal,
        max_size: store.max_layer_size(),
        devices: false,
        ..ApplyOptions::default()
    };
    let got = apply_layer(tar, dir, &opts)?;
    if got != expected {
        return Err(RemoteError::not_a_cache(
            &mount.id,
            format!("cache mount layer has diff_id {got}, its record says {expected}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer tar holding a file and a block device node.
    fn tar_with_device() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, "pkg.deb", &b"pkg"[..]).unwrap();
        let mut d = tar::Header::new_gnu();
        d.set_entry_type(tar::EntryType::Block);
        d.set_size(0);
        d.set_mode(0o660);
        d.set_device_major(8).unwrap();
        d.set_device_minor(0).unwrap();
        b.append_data(&mut d, "sda", std::io::empty()).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn an_imported_cache_gets_its_files_and_never_a_device_node() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(&t.path().join("store")).unwrap();
        let bytes = tar_with_device();
        let digest = store.write_blob(&bytes).unwrap();
        let mount = ExportedMount {
            id: "pkgs".into(),
            seed: None,
            sharing: "shared".into(),
            mode: 0o755,
            uid: 0,
            gid: 0,
            layer: LayerRecord {
                digest,
                diff_id: digest,
                size: bytes.len() as u64,
                media_type: "application/vnd.oci.image.layer.v1.tar".into(),
            },
        };
        let dir = t.path().join("cache");
        std::fs::create_dir(&dir).unwrap();
        fill_mount(&store, &mount, &dir).unwrap();
        assert_eq!(std::fs::read(dir.join("pkg.deb")).unwrap(), b"pkg");
        assert!(std::fs::symlink_metadata(dir.join("sda")).is_err());

        let wrong = ExportedMount {
            layer: LayerRecord {
                diff_id: Digest::from_bytes([0; 32]),
                ..mount.layer.clone()
            },
            ..mount
        };
        let again = t.path().join("again");
        std::fs::create_dir(&again).unwrap();
        assert!(fill_mount(&store, &wrong, &again).is_err());
    }
}
