//! `strata compose pull [--policy missing|always] [--ignore-buildable]
//! [--ignore-pull-failures] [SERVICE...]`: each service's `image` from its
//! registry, as docker compose's pull decides it: a service without
//! `pull_policy` is pulled (the command's own default is to pull), `never`
//! and `build` are skipped, `missing` skips an image the store has unless
//! its tag is `latest`, and a refresh policy (`daily`...) is pulled (an
//! explicit pull refreshes ahead of the window). A service with a `build`
//! section may fail to pull (it can be built instead), which is a warning.

use std::collections::HashSet;

use miette::{Result, miette};
use strata_compose::pull_policy::PullPolicy;
use strata_store::{ImageRef, Store};

use super::image_pull;
use crate::cli::{ComposeArgs, ComposePullArgs};
use crate::commands::store_open::report;

pub fn run(store: &Store, args: &ComposeArgs, p: &ComposePullArgs) -> Result<i32> {
    let Some((project, _)) = super::project(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    if let Some(s) = p
        .services
        .iter()
        .find(|s| !project.services.contains_key(*s))
    {
        return Err(miette!("no such service: {s}"));
    }
    let mut seen = HashSet::new();
    let mut must_build = Vec::new();
    for (name, service) in &project.services {
        if !p.services.is_empty() && !p.services.contains(name) {
            continue;
        }
        let Some(image) = &service.image else {
            eprintln!(" {name}  Skipped - No image to be pulled");
            continue;
        };
        let reference = ImageRef::parse(image).map_err(|e| miette!("service {name}: {e}"))?;
        let policy = p.policy.as_deref().or(service.pull_policy.as_deref());
        match policy.map(PullPolicy::parse).transpose() {
            Err(e) => return Err(miette!("service {name}: {e}")),
            Ok(Some(PullPolicy::Never | PullPolicy::Build)) => {
                eprintln!(" Image {image}  Skipped");
                continue;
            }
            Ok(Some(PullPolicy::Missing))
                if reference.tag() != Some("latest")
                    && store.resolve_str(image).map_err(report)?.is_some() =>
            {
                eprintln!(" Image {image}  Skipped - Image is already present locally");
                continue;
            }
            Ok(_) => {}
        }
        if service.build.is_some() && p.ignore_buildable {
            eprintln!(" Image {image}  Skipped - Image can be built");
            continue;
        }
        if !seen.insert(reference.to_string()) {
            continue;
        }
        let shown = image_pull::Shown::of(args, false);
        let shown = if p.quiet {
            image_pull::Shown::Nothing
        } else {
            shown
        };
        match image_pull::pull_with(store, &reference, &p.registry, shown) {
            Ok(()) => {}
            Err(e) if service.build.is_some() || p.ignore_pull_failures => {
                eprintln!("warning: service {name}: {e:?}");
                if service.build.is_some() {
                    must_build.push(name.as_str());
                }
            }
            Err(e) => return Err(e.wrap_err(format!("service {name}"))),
        }
    }
    if !must_build.is_empty() {
        eprintln!(
            "WARNING: Some service image(s) must be built from source by running:\n    strata compose build {}",
            must_build.join(" ")
        );
    }
    Ok(0)
}
