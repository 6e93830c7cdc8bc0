//! What keeps content alive: the names in index.json (and everything their
//! manifests reach) and pins in build cache records. gc deletes the rest,
//! fsck checks that every root is whole.

use std::collections::BTreeSet;
use std::fs;

use oci_spec::image::ImageIndex;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::digest::Digest;
use crate::error::StoreError;
use crate::index;
use crate::media;
use crate::snapshot::SnapshotId;
use crate::store::Store;

/// The directories under cache/ that hold what builds read and write
/// (`RUN --mount=type=cache` directories, git checkouts), not records.
const CONTENT_DIRS: &[&str] = &["mounts", "git"];

/// What a build cache record (any `*.json` under cache/ outside
/// [`CONTENT_DIRS`]) keeps alive, under
/// its top-level `"pins"` key: `{"pins": {"snapshots": [..], "blobs": [..]}}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pins {
    #[serde(default)]
    pub snapshots: Vec<SnapshotId>,
    #[serde(default)]
    pub blobs: Vec<Digest>,
}

#[derive(Deserialize)]
struct CacheRecord {
    #[serde(default)]
    pins: Pins,
}

#[derive(Debug, Default)]
pub struct Live {
    pub blobs: BTreeSet<Digest>,
    pub snapshots: BTreeSet<SnapshotId>,
    /// Roots that could not be followed (missing or unreadable content).
    pub problems: Vec<String>,
}

impl Store {
    /// Every blob and snapshot reachable from a name or a cache pin.
    pub fn live_set(&self) -> Result<Live, StoreError> {
        let mut live = Live::default();
        let mut diff_ids = BTreeSet::new();
        for entry in index::read(self)? {
            let name = index::ref_name(&entry).unwrap_or("(unnamed)").to_owned();
            match Digest::from_oci(entry.digest()) {
                Ok(d) => self.mark(
                    &d,
                    media::is_index(entry.media_type()),
                    &name,
                    &mut live,
                    &mut diff_ids,
                ),
                Err(e) => live.problems.push(format!("index.json entry {name}: {e}")),
            }
        }
        for e in WalkDir::new(self.cache_dir())
            .into_iter()
            // Content a build put there is no record: a file of a cache
            // mount or a git checkout pins nothing, whatever it says.
            .filter_entry(|e| !(e.depth() == 1 && CONTENT_DIRS.iter().any(|d| e.file_name() == *d)))
            .filter_map(Result::ok)
        {
            if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json") {
                let Ok(bytes) = fs::read(e.path()) else {
                    continue;
                };
                // A record we cannot parse pins nothing; it is the cache's
                // business, not the store's, to judge it.
                if let Ok(rec) = serde_json::from_slice::<CacheRecord>(&bytes) {
                    live.blobs.extend(rec.pins.blobs);
                    live.snapshots.extend(rec.pins.snapshots);
                }
            }
        }
        for id in self.snapshot_ids()? {
            let meta = self.snapshot_meta(&id).unwrap_or_default();
            let layer_of_live_image = meta.diff_id.as_ref().is_some_and(|d| diff_ids.contains(d))
                || meta.blobs.iter().any(|b| live.blobs.contains(&b.digest));
            if layer_of_live_image {
                live.snapshots.insert(id.clone());
            }
            if live.snapshots.contains(&id) {
                live.blobs.extend(meta.blobs.into_iter().map(|b| b.digest));
            }
        }
        let variants = self.remembered_variants(live.blobs.iter());
        live.blobs.extend(variants);
        Ok(live)
    }

    fn mark(
        &self,
        d: &Digest,
        is_index: bool,
        name: &str,
        live: &mut Live,
        diff_ids: &mut BTreeSet<Digest>,
    ) {
        live.blobs.insert(*d);
        if is_index {
            let nested = self
                .read_blob(d)
                .and_then(|b| serde_json::from_slice::<ImageIndex>(&b).map_err(Into::into));
            match nested {
                Ok(idx) => {
                    for m in idx.manifests() {
                        if let Ok(md) = Digest::from_oci(m.digest()) {
                            self.mark(&md, media::is_index(m.media_type()), name, live, diff_ids);
                        }
                    }
                }
                Err(e) => live.problems.push(format!("{name}: index {d}: {e}")),
            }
            return;
        }
        match self.image(d) {
            Ok(img) => {
                live.blobs.insert(img.config_digest);
                for l in img.manifest.layers() {
                    match Digest::from_oci(l.digest()) {
                        Ok(ld) => {
                            live.blobs.insert(ld);
                        }
                        Err(e) => live.problems.push(format!("{name}: layer: {e}")),
                    }
                }
                if let Ok(ids) = img.diff_ids() {
                    diff_ids.extend(ids.iter().cloned());
                    live.snapshots.extend(ids.iter().map(SnapshotId::for_layer));
                }
            }
            Err(e) => live.problems.push(format!("{name}: manifest {d}: {e}")),
        }
    }
}
