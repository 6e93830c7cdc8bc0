//! `strata compose pull [--ignore-pull-failures] [SERVICE...]`: each
//! service's `image` from its registry (strata's `pull docker://`), as
//! docker compose pulls them: a service with `pull_policy: build` is
//! skipped, and one that has a `build` section may fail to pull (it can be
//! built instead), which is a warning.

use miette::{Result, miette};
use strata_store::Store;

use crate::cli::{ComposeArgs, ComposePullArgs};

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
    for (name, service) in &project.services {
        if !p.services.is_empty() && !p.services.contains(name) {
            continue;
        }
        let Some(image) = &service.image else {
            continue;
        };
        if service.pull_policy.as_deref() == Some("build") {
            continue;
        }
        eprintln!(" Image {image}  Pulling");
        match crate::commands::registry::pull(store, image, None, false, &p.registry) {
            Ok(_) => eprintln!(" Image {image}  Pulled"),
            Err(e) if service.build.is_some() || p.ignore_pull_failures => {
                eprintln!("warning: service {name}: {e:?}");
            }
            Err(e) => return Err(e.wrap_err(format!("service {name}"))),
        }
    }
    Ok(0)
}
