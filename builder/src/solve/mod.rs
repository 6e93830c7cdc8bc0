//! The solver: walks the plan's stages (independent ones in parallel),
//! runs each step or reuses its cached snapshot, then writes the image.

pub mod annotation;
mod arg_keys;
mod cache_leases;
mod copy_step;
mod export;
mod fs_step;
mod git_source;
mod history;
mod named_context;
mod named_dir_layer;
mod opaque;
mod prefetch;
mod preflight;
mod remote_cache;
mod run_devices;
mod run_settings;
mod run_step;
mod secret_keys;
mod source_tree;
mod ssh_mount;
mod stage;
mod state;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use rayon::prelude::*;
use strata_store::{Compression, Platform, Store};

pub use crate::error::BuildError;
pub use crate::event::{Event, EventSink, NoEvents};
pub use arg_keys::CacheArgs;
pub use export::Output;
pub use history::created_by;
pub use named_context::{NamedContext, NamedContextArg};
pub use preflight::check_file_dest;
pub use remote_cache::CacheExport;
pub use state::{Layer, StageState};

use crate::cache::CacheDir;
use crate::context::BuildContext;
use crate::stat_cache::StatCache;

pub use strata_executor::Network;

/// Network for RUN steps that do not say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BuildNetwork {
    /// Each RUN step in a network namespace that is not the host's, with
    /// outbound access through pasta, as BuildKit's sandbox mode (the
    /// default). Consecutive steps share one (`pasta_pool.rs`).
    #[default]
    Sandbox,
    /// Every such step in this one: the host's (`--network host`), none,
    /// or a namespace made for the build (`--network bridge`).
    Fixed(Network),
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The Dockerfile's text and where it came from (for messages).
    pub dockerfile: String,
    pub dockerfile_path: PathBuf,
    pub context: PathBuf,
    /// Whether the context's `.dockerignore` applies: not to a git or URL
    /// context, which BuildKit takes whole (dockerui's `MainContext`
    /// returns such a context as fetched).
    pub dockerignore: bool,
    pub tags: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub no_cache: bool,
    pub network: BuildNetwork,
    /// `--allow network.host` (or `--network host`): `RUN --network=host`
    /// gets the host's network; without it such a step is an error.
    pub allow_network_host: bool,
    /// `--allow security.insecure`: `RUN --security=insecure` runs
    /// privileged; without it such a step is an error.
    pub allow_insecure: bool,
    /// `--allow device[=NAME[,alias=ALIAS]]`: the CDI devices `RUN
    /// --device` may have beyond those their spec marks autoallow.
    pub device_grants: strata_cdi::DeviceGrants,
    /// Where CDI specs are read, lowest priority first (`--cdi-spec-dir`;
    /// /etc/cdi then /var/run/cdi by default).
    pub cdi_spec_dirs: Vec<PathBuf>,
    /// How the image's layers are compressed when it leaves the store
    /// (`outputs`, cache exports). Layers in the store stay uncompressed:
    /// see [`local_layer_options`].
    pub compression: Compression,
    /// SOURCE_DATE_EPOCH: fixes timestamps so digests are reproducible.
    pub source_date_epoch: Option<u64>,
    /// `--secret id=ID,src=PATH`.
    pub secrets: BTreeMap<String, PathBuf>,
    /// Secrets given with `cache=content`: a keyed hash of their content
    /// is in the key of every RUN that mounts them.
    pub keyed_secrets: std::collections::BTreeSet<String>,
    /// `--ssh`: the agent socket each id forwards (`ssh::SshAgents`).
    pub ssh: BTreeMap<String, PathBuf>,
    /// `--add-host`, `--ulimit`, `--shm-size`: every RUN's (run_settings.rs).
    pub add_hosts: Vec<(String, std::net::IpAddr)>,
    pub ulimits: Vec<strata_executor::Ulimit>,
    pub shm_size: Option<u64>,
    /// Tell why each missed step missed.
    pub explain_cache: bool,
    pub outputs: Vec<Output>,
    /// After the build, prune the cache down to this many bytes
    /// (see `cache::limit` for how the CLI picks it); `None`: never.
    pub cache_limit: Option<u64>,
    /// The platform the image is for (TARGETPLATFORM; FROM without
    /// --platform takes this platform's entry of an index).
    pub platform: Platform,
    /// Whether and how images the Dockerfile names are pulled.
    pub pull: crate::pull::PullSettings,
    /// Where cache records are imported from before the first step: a
    /// step whose key is among them unpacks their layer instead of running.
    pub cache_from: Vec<crate::cache::remote::CacheFrom>,
    /// Where the records of the build's steps are exported after it.
    pub cache_to: Vec<crate::cache::remote::CacheTo>,
    /// `--source-modes`: whether COPY/ADD from the context drop the
    /// group/other write bits a umask decides.
    pub source_modes: crate::copy::SourceModes,
    /// `--cache-args`: whether a RUN's key takes every build arg in scope
    /// or only those its text references.
    pub cache_args: CacheArgs,
    /// `--build-context NAME=...`, by name.
    pub named_contexts: BTreeMap<String, NamedContext>,
    /// `--label K=V`: set on the image's config, over the Dockerfile's.
    pub labels: BTreeMap<String, String>,
    /// `--annotation`: on the manifest (or a multi-platform index).
    pub annotations: Vec<annotation::Annotation>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            dockerfile: String::new(),
            dockerfile_path: PathBuf::from("Dockerfile"),
            context: PathBuf::from("."),
            dockerignore: true,
            tags: Vec::new(),
            build_args: BTreeMap::new(),
            target: None,
            no_cache: false,
            network: BuildNetwork::default(),
            allow_network_host: false,
            allow_insecure: false,
            device_grants: Default::default(),
            cdi_spec_dirs: strata_cdi::default_spec_dirs(),
            compression: Compression::default(),
            source_date_epoch: None,
            secrets: BTreeMap::new(),
            keyed_secrets: Default::default(),
            ssh: BTreeMap::new(),
            add_hosts: Vec::new(),
            ulimits: Vec::new(),
            shm_size: None,
            explain_cache: false,
            outputs: Vec::new(),
            cache_limit: None,
            platform: Platform::host(),
            pull: crate::pull::PullSettings::default(),
            cache_from: Vec::new(),
            cache_to: Vec::new(),
            source_modes: crate::copy::SourceModes::default(),
            cache_args: CacheArgs::default(),
            named_contexts: BTreeMap::new(),
            labels: BTreeMap::new(),
            annotations: Vec::new(),
        }
    }
}

/// The image a build produced.
#[derive(Debug, Clone)]
pub struct BuildResult {
    pub manifest_digest: strata_store::Digest,
    pub config_digest: strata_store::Digest,
    /// Steps run / reused from the cache.
    pub steps_run: usize,
    pub steps_cached: usize,
    /// The stages whose layers make the image (the target and the stages
    /// it is built FROM), by Dockerfile index.
    pub image_stages: Vec<usize>,
    /// The cache keys of the filesystem steps run or reused, in the order
    /// they finished.
    pub steps: Vec<StepKey>,
    /// What each `--cache-to` wrote.
    pub cache_exports: Vec<CacheExport>,
}

/// How many steps a build ran and how many it reused from the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StepCounts {
    pub run: usize,
    pub cached: usize,
}

/// A filesystem step's cache key and the stage (Dockerfile index) it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepKey {
    pub stage: usize,
    pub key: strata_store::Digest,
}

/// One build as every stage of it sees it: its inputs, the store, the
/// finished stages and what it has counted and committed so far.
pub(crate) struct Session<'a> {
    pub store: &'a Store,
    pub opts: &'a BuildOptions,
    pub context: BuildContext,
    pub cache: CacheDir,
    pub stat_cache: StatCache,
    pub events: &'a dyn EventSink,
    pub escape: char,
    /// Finished stages by Dockerfile index.
    pub stages: Mutex<HashMap<usize, Arc<StageState>>>,
    /// Stage names (lower case) to Dockerfile index, for `--from`.
    pub stage_names: HashMap<String, usize>,
    pub counts: Mutex<StepCounts>,
    /// The keys of the filesystem steps done so far.
    pub step_keys: Mutex<Vec<StepKey>>,
    /// Records `--cache-from` brought.
    pub cache_imports: crate::cache::remote::Imported,
    /// The cache mounts its RUNs name (stage, id, seed).
    pub cache_mount_ids: Mutex<Vec<cache_leases::NotedMount>>,
    /// The git checkouts its ADDs read, held until the build ends so no
    /// `cache prune` removes one under it.
    pub git_leases: Mutex<Vec<std::sync::Arc<crate::cache::git_checkouts::CheckoutLease>>>,
    /// Stages whose layers end up in the image (the target and the stages
    /// it is built FROM): their new snapshots are tarred and compressed in
    /// the background while later steps run.
    pub image_stages: HashSet<usize>,
    pub layer_jobs: Mutex<Option<mpsc::Sender<PathBuf>>>,
    /// Snapshots this build committed, made durable together at its end.
    pub committed: Mutex<Vec<strata_store::SnapshotId>>,
    /// Namespaces for [`BuildNetwork::Sandbox`] steps, prepared ahead.
    pub sandboxes: strata_network::UserNetPool,
    /// `--build-context`s, opened and imported.
    pub named_contexts: HashMap<String, named_context::Resolved>,
    /// CDI spec problems already warned about (once a build, not a step).
    pub cdi_warned: Mutex<HashSet<String>>,
}

impl Session<'_> {
    /// Queues a fresh snapshot of `stage` for background layer writing.
    pub(crate) fn queue_layer(&self, stage: usize, dir: &std::path::Path) {
        if !self.image_stages.contains(&stage) {
            return;
        }
        if let Some(tx) = self
            .layer_jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = tx.send(dir.to_path_buf());
        }
    }
}

/// How a build writes its layers into the store: uncompressed, so no step
/// waits for a compressor; exports compress them (`Store::for_export`).
pub fn local_layer_options(opts: &BuildOptions) -> strata_store::LayerOptions {
    strata_store::LayerOptions {
        compression: Compression::None,
        source_date_epoch: opts.source_date_epoch,
    }
}

/// Builds the Dockerfile in `opts` and writes (and tags) the image.
pub fn build(
    store: &Store,
    opts: &BuildOptions,
    events: &dyn EventSink,
) -> Result<BuildResult, BuildError> {
    preflight::check(opts)?;
    let df = strata_parser::parse(&opts.dockerfile)?;
    if let Some(syntax) = &df.directives.syntax {
        events.emit(Event::Warning {
            message: format!(
                "# syntax={}: not pulled; strata builds with its built-in Dockerfile frontend",
                syntax.value
            ),
        });
    }
    let plan = strata_parser::plan(
        &df,
        &strata_parser::PlanOptions {
            build_args: opts.build_args.clone(),
            target: opts.target.clone(),
            target_platform: opts.platform.clone(),
            build_platform: Platform::host(),
            named_contexts: opts.named_contexts.keys().cloned().collect(),
        },
    )?;
    let cache_imports = remote_cache::import(store, opts, events);
    // Shared: other builds may run beside this one, but gc and prune wait
    // until nothing this build made can be lost under it.
    let store_lock = store.lock_shared()?;
    let mut image_stages = HashSet::new();
    let mut at = plan.stages.get(plan.target);
    while let Some(st) = at {
        image_stages.insert(st.index);
        at = match st.base {
            strata_parser::Base::Stage(i) => plan.stages.iter().find(|s| s.index == i),
            _ => None,
        };
    }
    let (layer_tx, layer_rx) = mpsc::channel::<PathBuf>();
    let ignore_file = dockerignore_beside(&opts.dockerfile_path);
    let context = match opts.dockerignore {
        true => BuildContext::open(&opts.context, ignore_file.as_deref())?,
        false => BuildContext::unfiltered(&opts.context)?,
    };
    let named_contexts = named_context::resolve_all(store, &opts.named_contexts)?;
    let cache_root = store.cache_dir();
    let stat_cache = StatCache::load(&cache_root.join("statcache.bin")).scoped_to(context.root());
    let session = Session {
        store,
        opts,
        context,
        cache: CacheDir::open(store)?,
        stat_cache,
        events,
        escape: df.escape,
        stages: Mutex::new(HashMap::new()),
        stage_names: df
            .stages_raw
            .iter()
            .filter_map(|s| s.name.as_ref().map(|n| (n.to_ascii_lowercase(), s.index)))
            .collect(),
        counts: Mutex::new(StepCounts::default()),
        step_keys: Mutex::new(Vec::new()),
        cache_imports,
        cache_mount_ids: Mutex::new(Vec::new()),
        git_leases: Mutex::new(Vec::new()),
        image_stages,
        layer_jobs: Mutex::new(Some(layer_tx)),
        committed: Mutex::new(Vec::new()),
        sandboxes: strata_network::UserNetPool::new(
            store.root().join("netns").join("build"),
            Box::new(strata_executor::outside_device_policy),
        ),
        named_contexts,
        cdi_warned: Default::default(),
    };
    let layer_opts = local_layer_options(opts);
    let target = std::thread::scope(|scope| {
        // Failures here are not final: the export writes any layer still
        // missing and reports its error there.
        let writer = scope.spawn(|| {
            for dir in layer_rx {
                let _ = store.write_layer(&dir, &layer_opts);
            }
        });
        scope.spawn(|| prefetch::prefetch_bases(&session, &plan));
        let built = solve(&session, &plan);
        session
            .layer_jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let _ = writer.join();
        built
    });
    // Every step's snapshot reaches the disk with one syncfs, while the
    // image is written; a failed build's finished steps too.
    let committed =
        std::mem::take(&mut *session.committed.lock().unwrap_or_else(|p| p.into_inner()));
    let (image, synced) = std::thread::scope(|scope| {
        let sync = scope.spawn(|| store.sync_snapshots(&committed));
        let image = target.and_then(|t| export::write_image(&session, &t));
        (image, sync.join())
    });
    if let Ok(Err(e)) = synced {
        events.emit(Event::Warning {
            message: format!("build cache not synced to disk (kept for this boot only): {e}"),
        });
    }
    let (manifest_digest, config_digest) = image?;
    let StepCounts {
        run: steps_run,
        cached: steps_cached,
    } = *session.counts.lock().unwrap_or_else(|p| p.into_inner());
    let mut image_stages: Vec<usize> = session.image_stages.iter().copied().collect();
    image_stages.sort_unstable();
    let steps = std::mem::take(&mut *session.step_keys.lock().unwrap_or_else(|p| p.into_inner()));
    let cache_mounts = std::mem::take(
        &mut *session
            .cache_mount_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner()),
    );
    drop(session);
    drop(store_lock);
    if let Some(limit) = opts.cache_limit
        && let Err(e) = crate::cache::prune::enforce_limit(store, limit)
    {
        events.emit(Event::Warning {
            message: format!("could not apply the cache limit: {e}"),
        });
    }
    let cache_exports = remote_cache::export(store, opts, &steps, &cache_mounts, &image_stages)?;
    Ok(BuildResult {
        manifest_digest,
        config_digest,
        steps_run,
        steps_cached,
        image_stages,
        steps,
        cache_exports,
    })
}

/// Runs the stages; returns the target stage's final state.
fn solve(session: &Session, plan: &strata_parser::Plan) -> Result<Arc<StageState>, BuildError> {
    let events = session.events;

    // Waves: a stage runs once every stage it needs is done; the stages of
    // one wave do not depend on each other and run in parallel.
    let mut level: HashMap<usize, usize> = HashMap::new();
    for st in &plan.stages {
        let l = st
            .deps
            .iter()
            .filter_map(|d| level.get(d))
            .max()
            .map_or(0, |m| m + 1);
        level.insert(st.index, l);
    }
    let max_level = level.values().copied().max().unwrap_or(0);
    for wave in 0..=max_level {
        let stages: Vec<&strata_parser::Stage> = plan
            .stages
            .iter()
            .filter(|s| level.get(&s.index) == Some(&wave))
            .collect();
        stages
            .par_iter()
            .try_for_each(|st| -> Result<(), BuildError> {
                let started = Instant::now();
                let state = stage::build_stage(session, st)?;
                session.events.emit(Event::StageDone {
                    stage: st.index,
                    duration_ms: started.elapsed().as_millis() as u64,
                });
                session
                    .stages
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(st.index, Arc::new(state));
                Ok(())
            })?;
    }
    if let Err(e) = session.stat_cache.save() {
        events.emit(Event::Warning {
            message: format!("could not save the stat cache: {e}"),
        });
    }
    // The JSON stat cache of earlier versions is never read again.
    let _ = std::fs::remove_file(session.store.cache_dir().join("statcache.json"));
    let target = &plan.stages[plan.target];
    session
        .stages
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&target.index)
        .cloned()
        .ok_or_else(|| BuildError::Invariant("the target stage was not built".into()))
}

/// Docker reads `<Dockerfile>.dockerignore` beside the Dockerfile first.
pub fn dockerignore_beside(dockerfile: &std::path::Path) -> Option<PathBuf> {
    let name = dockerfile.file_name()?.to_string_lossy().into_owned();
    let p = dockerfile.with_file_name(format!("{name}.dockerignore"));
    p.is_file().then_some(p)
}
