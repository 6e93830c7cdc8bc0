//! The life of a filesystem step in the cache: look its key up, take the
//! key's lock, look again, reuse a hit, else make the step into a fresh
//! upper dir, commit that as the step's snapshot and record it.

use std::path::Path;

use strata_store::SnapshotId;

use super::stage::StepCtx;
use super::state::{Layer, StageState};
use super::{BuildError, Event, Shared};
use crate::cache::explain::StepPlace;
use crate::cache::record::StepOrigin;
use crate::cache::{CacheRecord, KeyInputs, KeyLock};
use crate::config::apply::rfc3339;
use crate::digest::Sha256;

pub(crate) enum Outcome {
    /// Only the config changed.
    Metadata,
    /// A filesystem step, run or reused.
    Done { cached: bool },
}

/// The common life of a filesystem step: look its key up; on a miss, let
/// `make` write into a fresh upper dir, commit that as the step's snapshot
/// (a rename) and record it. Either way the layer joins the stage.
pub(crate) fn fs_step(
    sh: &Shared,
    state: &mut StageState,
    ctx: &StepCtx,
    inputs: &KeyInputs,
    make: impl FnOnce(&Path, &Path) -> Result<(), BuildError>,
) -> Result<Outcome, BuildError> {
    fs_step_described(sh, state, ctx, inputs, |_| {}, make)
}

/// [`fs_step`] where `describe` fills in the parts of the inputs that are
/// only kept in the record (`files`, one line per copied entry), once the
/// step is known to miss: a hit of a large COPY never builds them.
pub(crate) fn fs_step_described(
    sh: &Shared,
    state: &mut StageState,
    ctx: &StepCtx,
    inputs: &KeyInputs,
    describe: impl FnOnce(&mut KeyInputs),
    make: impl FnOnce(&Path, &Path) -> Result<(), BuildError>,
) -> Result<Outcome, BuildError> {
    let key = inputs.key();
    if let Some(hit) = reuse(sh, state, &key)? {
        return Ok(hit);
    }
    // One build makes a missing step at a time; the others wait here and
    // then find its record. A killed holder's flock dies with it.
    let _making = KeyLock::build(sh.store, &key)?;
    if let Some(hit) = reuse(sh, state, &key)? {
        return Ok(hit);
    }
    let mut inputs = inputs.clone();
    describe(&mut inputs);
    if sh.opts.explain_cache {
        explain(sh, state, ctx, &inputs);
    }
    let tmp = sh.store.tempdir()?;
    let upper = tmp.path().join("upper");
    let work = tmp.path().join("work");
    for d in [&upper, &work] {
        std::fs::create_dir(d).map_err(BuildError::io(d))?;
    }
    make(&upper, &work)?;
    let empty = std::fs::read_dir(&upper)
        .map_err(BuildError::io(&upper))?
        .next()
        .is_none();
    // O(what the step wrote): measured now so `cache du` never walks it.
    let snapshot_size = crate::cache::usage::tree_size(&upper);
    let snapshot = if empty {
        None
    } else {
        let id = SnapshotId::new(&format!("step-{}", key.hex()))?;
        let dir = sh.store.commit_snapshot_deferred(&upper, &id)?;
        sh.committed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id.clone());
        sh.queue_layer(ctx.stage, &dir);
        state.layers.push(Layer::Step { dir, key });
        Some(id.as_str().to_string())
    };
    let origin = StepOrigin {
        dockerfile: dockerfile_label(sh),
        stage: state.name.clone(),
        line: ctx.line,
        text: ctx.text.clone(),
    };
    let mut record = CacheRecord::new(inputs, origin, snapshot);
    record.snapshot_size = Some(snapshot_size);
    state.created = Some(rfc3339(record.created));
    sh.cache.put(&record)?;
    Ok(Outcome::Done { cached: false })
}

/// The cached result of `key`, if its record and snapshot are there.
fn reuse(sh: &Shared, state: &mut StageState, key: &Sha256) -> Result<Option<Outcome>, BuildError> {
    if sh.opts.no_cache {
        return Ok(None);
    }
    let rec = match sh.cache.get_head(key)? {
        Some(rec) => rec,
        None => match imported(sh, key) {
            Some(rec) => rec,
            None => return Ok(None),
        },
    };
    let snapshot = match &rec.snapshot {
        None => None,
        Some(id) => match SnapshotId::new(id)
            .ok()
            .and_then(|id| sh.store.snapshot_dir(&id))
        {
            Some(dir) => Some(dir),
            // The record outlived its snapshot: make the step again.
            None => return Ok(None),
        },
    };
    sh.cache.touch(key)?;
    state.created = Some(rfc3339(rec.created));
    if let Some(dir) = snapshot {
        state.layers.push(Layer::Step { dir, key: *key });
    }
    Ok(Some(Outcome::Done { cached: true }))
}

/// The record `--cache-from` brought for `key`, made local. An import
/// that cannot be used (a blob missing or corrupt) only costs the hit.
fn imported(sh: &Shared, key: &Sha256) -> Option<CacheRecord> {
    crate::cache::remote::adopt(sh.store, &sh.cache, &sh.opts.cache_imports, key).unwrap_or_else(
        |e| {
            sh.events.emit(Event::Warning {
                message: format!("imported cache record {key}: {e}"),
            });
            None
        },
    )
}

/// The Dockerfile as records name it: its absolute path, so builds started
/// from different directories find each other's records.
fn dockerfile_label(sh: &Shared) -> String {
    let path = &sh.opts.dockerfile_path;
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.clone())
        .display()
        .to_string()
}

/// Says which input changed against the latest record of the same step.
fn explain(sh: &Shared, state: &StageState, ctx: &StepCtx, inputs: &KeyInputs) {
    let dockerfile = dockerfile_label(sh);
    let place = StepPlace {
        dockerfile: &dockerfile,
        stage: &state.name,
        line: ctx.line,
        text: &ctx.text,
    };
    let args: Vec<String> = state.args.iter().map(|(k, _)| k.clone()).collect();
    sh.events.emit(Event::StepExplain {
        stage: ctx.stage,
        step: ctx.step,
        reason: crate::cache::explain::explain(&sh.cache, &place, inputs, &args),
    });
}
