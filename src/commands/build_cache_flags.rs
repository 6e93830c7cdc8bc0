//! The registry side of `strata build`: `--pull` and friends for the
//! images a Dockerfile names, `--cache-from` imports before the build and
//! `--cache-to` exports after it.

use std::str::FromStr;
use std::sync::Mutex;

use miette::{Result, miette};
use strata_builder::Event;
use strata_builder::cache::CacheDir;
use strata_builder::cache::remote::{
    self, CacheFrom, CacheMode, CacheTo, Imported, RegistryAccess,
};
use strata_builder::digest::Sha256;
use strata_builder::pull::PullSettings;
use strata_builder::solve::BuildResult;
use strata_store::registry::Platform;
use strata_store::{LayerOptions, Store};

use crate::cli::{BuildArgs, PullPolicy};

pub fn pull_settings(args: &BuildArgs) -> PullSettings {
    PullSettings {
        policy: match args.pull {
            PullPolicy::Missing => strata_store::registry::PullPolicy::Missing,
            PullPolicy::Always => strata_store::registry::PullPolicy::Always,
            PullPolicy::Never => strata_store::registry::PullPolicy::Never,
        },
        platform: args.platform.clone().unwrap_or_else(Platform::host),
        tls_verify: args.tls_verify,
        authfile: args.authfile.clone(),
    }
}

fn access(args: &BuildArgs) -> RegistryAccess {
    RegistryAccess {
        tls_verify: args.tls_verify,
        authfile: args.authfile.clone(),
    }
}

/// Records of every `--cache-from`. A source that cannot be read is
/// reported and skipped, as docker does: the build then runs those steps.
/// (Blobs an import brings are pinned only once a step adopts them: a gc
/// between the import and the build costs those hits, nothing more. The
/// build's own store lock cannot be held from here, as the cache limit's
/// prune after the build needs the store exclusively.)
pub fn import(store: &Store, args: &BuildArgs, quiet: bool) -> Imported {
    let mut imported = Imported::default();
    let _busy = match store.lock_shared() {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("warning: --cache-from: {e}");
            return imported;
        }
    };
    for from in &args.cache_from {
        let got = match from {
            CacheFrom::Registry(reference) => remote::pull(store, reference, &access(args)),
            CacheFrom::Local(dir) => remote::read_layout(store, dir),
        };
        match got {
            Ok(config) => {
                if !quiet {
                    eprintln!(
                        "cache: {} records from {}",
                        config.records.len(),
                        describe_from(from)
                    );
                }
                imported.add(config)
            }
            Err(e) => eprintln!("warning: --cache-from: {e}"),
        }
    }
    imported
}

/// The cache keys of the steps a build ran or reused, by stage, as its
/// events report them.
#[derive(Default)]
pub struct StepKeys(Mutex<Vec<(usize, Sha256)>>);

impl StepKeys {
    pub fn note(&self, event: &Event) {
        if let Event::StepDone {
            stage,
            key: Some(key),
            ..
        } = event
            && let Ok(key) = Sha256::from_str(key)
        {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((*stage, key));
        }
    }

    fn keys(&self, result: &BuildResult, mode: CacheMode) -> Vec<Sha256> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(stage, _)| mode == CacheMode::Max || result.image_stages.contains(stage))
            .map(|(_, key)| *key)
            .collect()
    }
}

/// Writes every `--cache-to`.
pub fn export(
    store: &Store,
    args: &BuildArgs,
    result: &BuildResult,
    steps: &StepKeys,
    layer: &LayerOptions,
    quiet: bool,
) -> Result<()> {
    if args.cache_to.is_empty() {
        return Ok(());
    }
    // The export's config and manifest blobs are named by nothing.
    let _busy = store
        .lock_shared()
        .map_err(|e| miette!("--cache-to: {e}"))?;
    let cache = CacheDir::open(store).map_err(|e| miette!("--cache-to: {e}"))?;
    for to in &args.cache_to {
        let keys = steps.keys(result, to.mode());
        let artifact =
            remote::export(store, &cache, &keys, layer).map_err(|e| miette!("--cache-to: {e}"))?;
        let place = match to {
            CacheTo::Registry { reference, .. } => {
                remote::push(store, &artifact, reference, &access(args))
                    .map_err(|e| miette!("--cache-to: {e}"))?;
                reference.to_string()
            }
            CacheTo::Local { dest, .. } => {
                remote::write_layout(store, &artifact, dest)
                    .map_err(|e| miette!("--cache-to: {e}"))?;
                dest.display().to_string()
            }
        };
        if !quiet {
            eprintln!(
                "cache: {} records to {place} ({})",
                artifact.records, artifact.manifest_digest
            );
        }
    }
    Ok(())
}

fn describe_from(from: &CacheFrom) -> String {
    match from {
        CacheFrom::Registry(reference) => reference.to_string(),
        CacheFrom::Local(dir) => dir.display().to_string(),
    }
}
