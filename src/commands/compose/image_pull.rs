//! The pulls `compose up` makes before it builds and creates, as each
//! service's `pull_policy` asks (docker compose's pullRequiredImages):
//! `always` pulls every time, `missing` (the default) only what the store
//! lacks, `never` and `build` never, `daily`/`weekly`/`every_<d>` when the
//! last pull (the store's `pulled_ago`, which any registry pull resets) is older than that. Only a service's own
//! `image` is pulled: a build-only service's image is built. A service
//! with a `build` section may fail to pull (it is built instead: the
//! spec's "pull first, then build"); any other's failure fails `up`.

use std::collections::{BTreeSet, HashSet};

use miette::{Result, miette};
use strata_compose::model::Project;
use strata_compose::pull_policy::PullPolicy;
use strata_store::{ImageRef, Store};

use crate::cli::RegistryOpts;
use crate::commands::store_open::report;

/// `up --pull`, `--build` and `--no-build` written into the project, as
/// docker compose's createOptions.Apply does: `--pull P` is every
/// service's policy, `--build` makes each service with a `build` section
/// `pull_policy: build`, `--no-build` drops every `build` section (the
/// service keeps the image name its build would have made).
pub fn apply(project: &mut Project, pull: Option<&str>, build: bool, no_build: bool) {
    let name = project.name.clone();
    for (key, service) in &mut project.services {
        if let Some(p) = pull {
            service.pull_policy = Some(p.to_owned());
        }
        if build && service.build.is_some() {
            service.pull_policy = Some("build".to_owned());
        }
        if no_build && service.build.take().is_some() && service.image.is_none() {
            service.image = Some(format!("{name}-{key}"));
        }
    }
}

/// What a pull shows (docker compose's two levels of TestComposeRunQuietPull).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// ` Image X  Pulling`/`Pulled` and each blob.
    All,
    /// `--quiet-pull`: the decisions, not the blobs.
    Decisions,
    /// `--progress quiet` (`COMPOSE_PROGRESS=quiet`), `pull -q`: nothing.
    Nothing,
}

impl Shown {
    pub fn of(args: &crate::cli::ComposeArgs, quiet_pull: bool) -> Shown {
        if args.progress == Some(crate::cli::ProgressMode::Quiet) {
            Shown::Nothing
        } else if quiet_pull {
            Shown::Decisions
        } else {
            Shown::All
        }
    }
}

/// Pulls what the named services' policies ask for; an image several
/// services name is pulled once.
pub fn before_up(
    store: &Store,
    project: &Project,
    names: &BTreeSet<String>,
    shown: Shown,
) -> Result<()> {
    let mut pulled = HashSet::new();
    for name in names {
        let service = &project.services[name];
        let Some(image) = &service.image else {
            continue;
        };
        let policy = PullPolicy::of(service.pull_policy.as_deref())
            .map_err(|e| miette!("service {name}: {e}"))?;
        let reference = ImageRef::parse(image).map_err(|e| miette!("service {name}: {e}"))?;
        let present = store.resolve_str(image).map_err(report)?.is_some();
        let due = match policy {
            PullPolicy::Always => true,
            PullPolicy::Never | PullPolicy::Build => false,
            PullPolicy::Missing => !present,
            PullPolicy::Refresh(every) => {
                !present || store.pulled_ago(&reference).is_none_or(|age| age >= every)
            }
        };
        if !due {
            if !present && policy == PullPolicy::Never && service.build.is_none() {
                return Err(miette!(
                    "service {name}: image {image} is not in the store and its pull_policy is never (pull it first, or use another policy)"
                ));
            }
            continue;
        }
        if !pulled.insert(reference.to_string()) {
            continue;
        }
        match pull_with(store, &reference, &default_options(), shown) {
            Ok(()) => {}
            Err(e) if service.build.is_some() => {
                eprintln!("warning: service {name}: {e}; its image is built instead");
            }
            Err(e) => return Err(e.wrap_err(format!("service {name}"))),
        }
    }
    Ok(())
}

/// One image from its registry (the store records the pull's time).
pub fn pull_with(store: &Store, image: &ImageRef, opts: &RegistryOpts, shown: Shown) -> Result<()> {
    let name = image.familiar();
    let say = shown != Shown::Nothing;
    if say {
        eprintln!(" Image {name}  Pulling");
    }
    crate::commands::registry::pull_one(store, image, opts, shown == Shown::All)?;
    if say {
        eprintln!(" Image {name}  Pulled");
    }
    Ok(())
}

/// The docker config's credentials, TLS checked but for a local registry.
fn default_options() -> RegistryOpts {
    RegistryOpts {
        platform: None,
        tls_verify: true,
        authfile: None,
        creds: None,
        jobs: 3,
    }
}
