//! The life of a filesystem step in the cache: look its key up, take the
//! key's lock, look again, reuse a hit, else make the step into a fresh
//! upper dir, commit that as the step's snapshot and record it.

use std::path::Path;

use strata_store::SnapshotId;

use super::stage::StepCtx;
use super::state::{Layer, StageState};
use super::{BuildError, Event, Session};
use crate::cache::explain::StepPlace;
use crate::cache::record::StepOrigin;
use crate::cache::{CacheRecord, KeyInputs, KeyLock};
use crate::config::apply::rfc3339;
use strata_store::Digest;

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
    session: &Session,
    state: &mut StageState,
    ctx: &StepCtx,
    inputs: &KeyInputs,
    make: impl FnOnce(&Path, &Path) -> Result<(), BuildError>,
) -> Result<Outcome, BuildError> {
    fs_step_described(session, state, ctx, inputs, |_| {}, make)
}

/// [`fs_step`] where `describe` fills in the parts of the inputs that are
/// only kept in the record (`files`, one line per copied entry), once the
/// step is known to miss: a hit of a large COPY never builds them.
pub(crate) fn fs_step_described(
    session: &Session,
    state: &mut StageState,
    ctx: &StepCtx,
    inputs: &KeyInputs,
    describe: impl FnOnce(&mut KeyInputs),
    make: impl FnOnce(&Path, &Path) -> Result<(), BuildError>,
) -> Result<Outcome, BuildError> {
    let key = inputs.key();
    if let Some(hit) = reuse(session, state, &key)? {
        return Ok(hit);
    }
    // One build makes a missing step at a time; the others wait here and
    // then find its record. A killed holder's flock dies with it.
    let _making = KeyLock::build(session.store, &key)?;
    if let Some(hit) = reuse(session, state, &key)? {
        return Ok(hit);
    }
    let mut inputs = inputs.clone();
    describe(&mut inputs);
    if session.opts.explain_cache {
        explain(session, state, ctx, &inputs);
    }
    let tmp = session.store.tempdir()?;
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
        let dir = session.store.commit_snapshot_deferred(&upper, &id)?;
        session
            .committed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id.clone());
        session.queue_layer(ctx.stage, &dir);
        state.layers.push(Layer::Step { dir, key });
        Some(id.as_str().to_string())
    };
    let origin = StepOrigin {
        dockerfile: dockerfile_label(session),
        stage: state.name.clone(),
        line: ctx.line,
        text: ctx.text.clone(),
    };
    let mut record = CacheRecord::new(inputs, origin, snapshot);
    record.snapshot_size = Some(snapshot_size);
    state.created = Some(rfc3339(record.created));
    session.cache.put(&record)?;
    Ok(Outcome::Done { cached: false })
}

/// The cached result of `key`, if its record and snapshot are there.
fn reuse(
    session: &Session,
    state: &mut StageState,
    key: &Digest,
) -> Result<Option<Outcome>, BuildError> {
    if session.opts.no_cache {
        return Ok(None);
    }
    let rec = match session.cache.get_head(key)? {
        Some(rec) => rec,
        None => match imported(session, key) {
            Some(rec) => rec,
            None => return Ok(None),
        },
    };
    let snapshot = match &rec.snapshot {
        None => None,
        Some(id) => match SnapshotId::new(id)
            .ok()
            .and_then(|id| session.store.snapshot_dir(&id))
        {
            Some(dir) => Some(dir),
            // The record outlived its snapshot: make the step again.
            None => return Ok(None),
        },
    };
    session.cache.touch(key)?;
    state.created = Some(rfc3339(rec.created));
    if let Some(dir) = snapshot {
        state.layers.push(Layer::Step { dir, key: *key });
    }
    Ok(Some(Outcome::Done { cached: true }))
}

/// The record `--cache-from` brought for `key`, made local. An import
/// that cannot be used (a blob missing or corrupt) only costs the hit.
fn imported(session: &Session, key: &Digest) -> Option<CacheRecord> {
    crate::cache::remote::adopt(session.store, &session.cache, &session.cache_imports, key)
        .unwrap_or_else(|e| {
            session.events.emit(Event::Warning {
                message: format!("imported cache record {key}: {e}"),
            });
            None
        })
}

/// The Dockerfile as records name it: its absolute path, so builds started
/// from different directories find each other's records.
fn dockerfile_label(session: &Session) -> String {
    let path = &session.opts.dockerfile_path;
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.clone())
        .display()
        .to_string()
}

/// Says which input changed against the latest record of the same step.
fn explain(session: &Session, state: &StageState, ctx: &StepCtx, inputs: &KeyInputs) {
    let dockerfile = dockerfile_label(session);
    let place = StepPlace {
        dockerfile: &dockerfile,
        stage: &state.name,
        line: ctx.line,
        text: &ctx.text,
    };
    let args: Vec<String> = state.args.iter().map(|(k, _)| k.clone()).collect();
    session.events.emit(Event::StepExplain {
        stage: ctx.stage,
        step: ctx.step,
        reason: crate::cache::explain::explain(&session.cache, &place, inputs, &args),
    });
}
