//! `strata compose kill [-s SIGNAL] [SERVICE...]`: the signal (SIGKILL by
//! default) to each of the project's running containers, as `strata kill`
//! sends it (no lock: it must get through while a stop waits).

use miette::Result;
use strata_containers::parse_signal;
use strata_store::Store;

use crate::cli::{ComposeArgs, ComposeKillArgs};
use crate::commands::containers::{self as ctr, report};

pub fn run(store: &Store, args: &ComposeArgs, k: &ComposeKillArgs) -> Result<i32> {
    let sig = parse_signal(&k.signal).map_err(report)?;
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    scope.check_services(&k.services)?;
    let containers = ctr::open(store)?;
    let mut code = 0;
    for c in scope.containers(&containers, &k.services)? {
        if !c.refresh().map_err(report)?.status.is_active() {
            continue;
        }
        match strata_containers::kill(&c, sig) {
            Ok(_) => eprintln!(" Container {}  Killed", c.config.name),
            Err(e) => {
                eprintln!("error: {}: {e}", c.config.name);
                code = 1;
            }
        }
    }
    Ok(code)
}
