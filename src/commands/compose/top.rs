//! `strata compose top [SERVICE...]`: each running container's name, then
//! its processes as `strata top` shows them (the host's `ps -ef`, kept to
//! the container's pid namespace).

use miette::Result;
use strata_store::Store;

use crate::cli::{ComposeArgs, ComposeServicesArgs, TopArgs};
use crate::commands::containers::{self as ctr, report};

pub fn run(store: &Store, args: &ComposeArgs, a: &ComposeServicesArgs) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    scope.check_services(&a.services)?;
    let containers = ctr::open(store)?;
    let mut first = true;
    for c in scope.containers(&containers, &a.services)? {
        if !c.refresh().map_err(report)?.status.is_active() {
            continue;
        }
        if !first {
            println!();
        }
        first = false;
        println!("{}", c.config.name);
        let top = TopArgs {
            container: c.id().to_owned(),
            ps_options: Vec::new(),
        };
        ctr::top(store, &top)?;
    }
    Ok(0)
}
