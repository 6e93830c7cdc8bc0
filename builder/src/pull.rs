//! Images a build names (FROM, COPY --from, RUN --mount from=): from the
//! store, or pulled from their registry as `--pull` says.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use strata_store::registry::{
    ClientOptions, Platform, PullPolicy, RegistryError, ensure_image, silent,
};
use strata_store::{Image, ImageRef, Store};

use crate::{BuildError, Event, EventSink};

/// How a build reaches registries for the images it names.
#[derive(Debug, Clone)]
pub struct PullSettings {
    pub policy: PullPolicy,
    pub tls_verify: bool,
    /// A docker-style config.json with credentials; `None`: docker's lookup.
    pub authfile: Option<PathBuf>,
}

impl Default for PullSettings {
    fn default() -> Self {
        Self {
            policy: PullPolicy::Missing,
            tls_verify: true,
            authfile: None,
        }
    }
}

/// The lock of one (image, platform) pair, shared by every thread of this
/// process.
fn pull_gate(what: &str) -> Arc<Mutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    let gates = GATES.get_or_init(|| Mutex::new(HashMap::new()));
    gates
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(what.to_owned())
        .or_default()
        .clone()
}

/// The image `name` names for `platform` (an index's entry for it), pulled
/// first when `settings` ask for it.
pub(crate) fn image(
    store: &Store,
    name: &str,
    platform: &Platform,
    settings: &PullSettings,
    events: &dyn EventSink,
) -> Result<Image, BuildError> {
    let reference = ImageRef::parse(name).map_err(strata_store::StoreError::from)?;
    // Builds of several platforms (and stages of one build) asking for the
    // same image at once: one pulls it, the others then find it stored.
    let gate = pull_gate(&format!("{reference} {}", platform.normalized()));
    let _one_at_a_time = gate.lock().unwrap_or_else(|p| p.into_inner());
    let pulls = match settings.policy {
        PullPolicy::Never => false,
        PullPolicy::Always => true,
        PullPolicy::Missing => store.resolve_for(&reference, platform)?.is_none(),
    };
    let started = Instant::now();
    let fail = |source| match source {
        // Already says all there is to say (the name and --pull=never).
        RegistryError::NotInStore(_) => BuildError::NotInStore(Box::new(source)),
        source => BuildError::Pull {
            name: name.to_string(),
            source: Box::new(source),
        },
    };
    let options = ClientOptions::from_docker_config(
        reference.registry(),
        settings.authfile.as_deref(),
        settings.tls_verify,
    )
    .map_err(fail)?;
    let image = ensure_image(
        store,
        &reference,
        settings.policy,
        platform,
        &options,
        &silent,
    )
    .map_err(fail)?;
    if pulls {
        events.emit(Event::ImagePulled {
            name: reference.to_string(),
            manifest: image.manifest_digest.to_string(),
            duration_ms: started.elapsed().as_millis() as u64,
        });
    }
    Ok(image)
}
