//! Images a build names (FROM, COPY --from, RUN --mount from=): from the
//! store, or pulled from their registry as `--pull` says.

use std::path::PathBuf;
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
    /// Which entry of a multi-platform index to take.
    pub platform: Platform,
    pub tls_verify: bool,
    /// A docker-style config.json with credentials; `None`: docker's lookup.
    pub authfile: Option<PathBuf>,
}

impl Default for PullSettings {
    fn default() -> Self {
        Self {
            policy: PullPolicy::Missing,
            platform: Platform::host(),
            tls_verify: true,
            authfile: None,
        }
    }
}

/// The image `name` names, pulled first when `settings` ask for it.
pub(crate) fn image(
    store: &Store,
    name: &str,
    settings: &PullSettings,
    events: &dyn EventSink,
) -> Result<Image, BuildError> {
    let reference = ImageRef::parse(name)?;
    let pulls = match settings.policy {
        PullPolicy::Never => false,
        PullPolicy::Always => true,
        PullPolicy::Missing => store.resolve(&reference)?.is_none(),
    };
    let started = Instant::now();
    let fail = |source| match source {
        // Already says all there is to say (the name and --pull=never).
        RegistryError::NotInStore(_) => BuildError::Usage(source.to_string()),
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
        &settings.platform,
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
