//! `--cache-from` and `--cache-to` of a build: the records imported before
//! its first step (a step whose key is among them unpacks their layer
//! instead of running) and the records of its steps exported after it.

use strata_store::{LayerOptions, Store};

use super::{BuildError, BuildOptions, Event, EventSink, StepKey};
use crate::cache::CacheDir;
use crate::cache::remote::{self, CacheFrom, CacheMode, CacheTo, Imported, RegistryAccess};

/// Where an export went and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheExport {
    /// The registry reference or the layout directory.
    pub place: String,
    pub records: usize,
    /// Cache mounts it carried (`cache-mounts=true`).
    pub mounts: usize,
    pub manifest_digest: strata_store::Digest,
}

fn access(opts: &BuildOptions) -> RegistryAccess {
    RegistryAccess {
        tls_verify: opts.pull.tls_verify,
        authfile: opts.pull.authfile.clone(),
    }
}

/// Records of every `--cache-from`. A source that cannot be read is
/// reported and skipped, as docker does: the build then runs those steps.
/// (Blobs an import brings are pinned only once a step adopts them: a gc
/// between the import and the build costs those hits, nothing more. The
/// build's own store lock is not held yet, as the cache limit's prune
/// after the build needs the store exclusively.)
pub(crate) fn import(store: &Store, opts: &BuildOptions, events: &dyn EventSink) -> Imported {
    let mut imported = Imported::default();
    if opts.cache_from.is_empty() {
        return imported;
    }
    let failed = |message: String| events.emit(Event::CacheImportFailed { message });
    let _busy = match store.lock_shared() {
        Ok(l) => l,
        Err(e) => {
            failed(e.to_string());
            return imported;
        }
    };
    for from in &opts.cache_from {
        let got = match from {
            CacheFrom::Registry(reference) => remote::pull(store, reference, &access(opts)),
            CacheFrom::Local(dir) => remote::read_layout(store, dir),
        };
        match got {
            Ok(config) => {
                events.emit(Event::CacheImported {
                    source: match from {
                        CacheFrom::Registry(reference) => reference.to_string(),
                        CacheFrom::Local(dir) => dir.display().to_string(),
                    },
                    records: config.records.len(),
                    mounts: config.mounts.len(),
                });
                imported.add(config)
            }
            Err(e) => failed(e.to_string()),
        }
    }
    imported
}

/// Writes every `--cache-to`: the records of `steps`, of the image's
/// stages only (`mode=min`) or of all (`mode=max`).
pub(crate) fn export(
    store: &Store,
    opts: &BuildOptions,
    steps: &[StepKey],
    cache_mounts: &[super::cache_leases::NotedMount],
    image_stages: &[usize],
) -> Result<Vec<CacheExport>, BuildError> {
    if opts.cache_to.is_empty() {
        return Ok(Vec::new());
    }
    let fail = |e: remote::RemoteError| BuildError::CacheTo(Box::new(e));
    // The export's config and manifest blobs are named by nothing.
    let _busy = store.lock_shared().map_err(|e| fail(e.into()))?;
    let cache = CacheDir::open(store).map_err(|e| fail(e.into()))?;
    let layer = LayerOptions {
        compression: opts.compression,
        source_date_epoch: opts.source_date_epoch,
    };
    let mut done = Vec::new();
    for to in &opts.cache_to {
        let keys: Vec<_> = steps
            .iter()
            .filter(|s| to.mode() == CacheMode::Max || image_stages.contains(&s.stage))
            .map(|s| s.key)
            .collect();
        let mounts = if to.cache_mounts() {
            let ids: Vec<(String, Option<String>)> = cache_mounts
                .iter()
                .filter(|(stage, ..)| to.mode() == CacheMode::Max || image_stages.contains(stage))
                .map(|(_, id, seed)| (id.clone(), seed.clone()))
                .collect();
            remote::export_mounts(store, &ids, &layer).map_err(fail)?
        } else {
            Vec::new()
        };
        let artifact =
            remote::export_with_mounts(store, &cache, &keys, mounts, &layer).map_err(fail)?;
        let place = match to {
            CacheTo::Registry { reference, .. } => {
                remote::push(store, &artifact, reference, &access(opts)).map_err(fail)?;
                reference.to_string()
            }
            CacheTo::Local { dest, .. } => {
                remote::write_layout(store, &artifact, dest).map_err(fail)?;
                dest.display().to_string()
            }
        };
        done.push(CacheExport {
            place,
            records: artifact.records,
            mounts: artifact.mounts,
            manifest_digest: artifact.manifest_digest,
        });
    }
    Ok(done)
}
