//! `strata compose pause|unpause [SERVICE...]`: the project's running
//! containers frozen, its paused ones thawed (the others are left as they
//! are, as docker compose does).

use miette::Result;
use strata_containers::Status;
use strata_store::Store;

use crate::cli::{ComposeArgs, ComposeServicesArgs};
use crate::commands::containers::{self as ctr, report};

pub fn pause(store: &Store, args: &ComposeArgs, a: &ComposeServicesArgs) -> Result<i32> {
    each(store, args, &a.services, Status::Running, "Paused", |c| {
        strata_containers::pause(c).map(drop)
    })
}

pub fn unpause(store: &Store, args: &ComposeArgs, a: &ComposeServicesArgs) -> Result<i32> {
    each(store, args, &a.services, Status::Paused, "Unpaused", |c| {
        strata_containers::unpause(c).map(drop)
    })
}

/// `act` on each container of the services that is `from`, under its lock.
fn each(
    store: &Store,
    args: &ComposeArgs,
    services: &[String],
    from: Status,
    done: &str,
    act: impl Fn(&strata_containers::Container) -> Result<(), strata_containers::ContainerError>,
) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    scope.check_services(services)?;
    let containers = ctr::open(store)?;
    for c in scope.containers(&containers, services)? {
        let _lock = c.lock().map_err(report)?;
        if c.refresh().map_err(report)?.status != from {
            continue;
        }
        act(&c).map_err(report)?;
        eprintln!(" Container {}  {done}", c.config.name);
    }
    Ok(0)
}
