//! `strata compose push [--ignore-push-failures] [SERVICE...]`: the images
//! of the services that are built here and named by their `image` (a
//! registry name), sent with strata's `push docker://`; services without
//! both are skipped, as docker compose skips them.

use miette::{Result, miette};
use strata_store::{Compression, Store};

use crate::cli::{ComposeArgs, ComposePushArgs};
use crate::commands::store_open::{find, report};

pub fn run(store: &Store, args: &ComposeArgs, p: &ComposePushArgs) -> Result<i32> {
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
    // As `strata push`'s default: gzip at its default level.
    let gzip: Compression = "gzip".parse().map_err(|e| miette!("gzip: {e}"))?;
    let _busy = store.lock_shared().map_err(report)?;
    for (name, service) in &project.services {
        if !p.services.is_empty() && !p.services.contains(name) {
            continue;
        }
        let (Some(image), Some(_)) = (&service.image, &service.build) else {
            continue;
        };
        eprintln!(" Service {name}  Pushing {image}");
        let pushed = find(store, image).and_then(|img| {
            crate::commands::registry::push(store, &img, image, gzip, &p.registry, false)
        });
        match pushed {
            Ok(_) => eprintln!(" Service {name}  Pushed"),
            Err(e) if p.ignore_push_failures => eprintln!("warning: service {name}: {e:?}"),
            Err(e) => return Err(e.wrap_err(format!("service {name}"))),
        }
    }
    Ok(0)
}
