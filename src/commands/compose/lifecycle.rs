//! `strata compose stop|start|restart|rm [SERVICE...]`: the lifecycle
//! commands over the project's containers (found by their labels), in
//! the project's order: stop and rm take dependents first, start takes
//! dependencies first and waits for what `depends_on` asks of them.

use miette::{Result, miette};
use strata_compose::model::Project;
use strata_containers::{Container, Containers, Volumes};
use strata_store::Store;

use super::labels;
use super::wait_for;
use crate::cli::{ComposeArgs, ComposeRmArgs, ComposeServicesArgs};
use crate::commands::containers::{self as ctr, report};

/// The project's containers of the named services (all when none), in
/// start order, with the project (when its file was loaded) and its
/// containers' registry.
struct Selected {
    name: String,
    project: Option<Project>,
    containers: Containers,
    ordered: Vec<Container>,
}

fn select(store: &Store, args: &ComposeArgs, services: &[String]) -> Result<Option<Selected>> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(None);
    };
    scope.check_services(services)?;
    let containers = ctr::open(store)?;
    let mut ordered: Vec<Container> = labels::containers_of(&containers, &scope.name)?;
    let order = scope.start_order(&ordered)?;
    ordered.retain(|c| services.is_empty() || services.iter().any(|s| s == labels::service_of(c)));
    // Containers of services the model no longer has come last.
    ordered.sort_by_key(|c| {
        order
            .iter()
            .position(|s| s == labels::service_of(c))
            .unwrap_or(usize::MAX)
    });
    Ok(Some(Selected {
        name: scope.name,
        project: scope.loaded.map(|(p, _)| p),
        containers,
        ordered,
    }))
}

pub fn stop(store: &Store, args: &ComposeArgs, a: &ComposeServicesArgs) -> Result<i32> {
    let Some(sel) = select(store, args, &a.services)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    stop_all(&sel)?;
    Ok(0)
}

fn stop_all(sel: &Selected) -> Result<()> {
    for c in sel.ordered.iter().rev() {
        ctr::stop_container(c).map_err(report)?;
        eprintln!(" Container {}  Stopped", c.config.name);
    }
    Ok(())
}

pub fn start(store: &Store, args: &ComposeArgs, a: &ComposeServicesArgs) -> Result<i32> {
    let Some(sel) = select(store, args, &a.services)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    if sel.ordered.is_empty() {
        return Err(miette!("no containers to start (run compose up first)"));
    }
    start_all(store, &sel)?;
    Ok(0)
}

fn start_all(store: &Store, sel: &Selected) -> Result<()> {
    let mut waited = std::collections::BTreeSet::new();
    for c in &sel.ordered {
        let service = labels::service_of(c).to_owned();
        if let Some(svc) = sel.project.as_ref().and_then(|p| p.services.get(&service))
            && waited.insert(service.clone())
        {
            for (dep, cond) in &svc.depends_on {
                wait_for::dependency(&sel.containers, &sel.name, dep, &cond.condition)?;
            }
        }
        if c.refresh().map_err(report)?.status.is_active() {
            continue;
        }
        ctr::start_detached(store, &sel.containers, c)?;
        eprintln!(" Container {}  Started", c.config.name);
    }
    Ok(())
}

pub fn restart(store: &Store, args: &ComposeArgs, a: &ComposeServicesArgs) -> Result<i32> {
    let Some(sel) = select(store, args, &a.services)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    stop_all(&sel)?;
    start_all(store, &sel)?;
    Ok(0)
}

/// docker compose's `rm`: stopped containers only, unless -s stops the
/// running ones first.
pub fn rm(store: &Store, args: &ComposeArgs, a: &ComposeRmArgs) -> Result<i32> {
    let Some(sel) = select(store, args, &a.services)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    if a.stop {
        stop_all(&sel)?;
    }
    let volumes = Volumes::open(store).map_err(report)?;
    for c in sel.ordered.iter().rev() {
        let _lock = c.lock().map_err(report)?;
        if c.refresh().map_err(report)?.status.is_active() {
            continue;
        }
        strata_containers::remove(&sel.containers, c, false).map_err(report)?;
        if a.volumes {
            volumes
                .remove_anonymous(&sel.containers, c.id(), &c.config.spec)
                .map_err(report)?;
        }
        eprintln!(" Container {}  Removed", c.config.name);
    }
    Ok(0)
}
