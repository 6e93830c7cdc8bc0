//! `strata compose exec [-d] [-T] [-e K=V] [-w DIR] [-u USER] [--index N]
//! SERVICE CMD...`: `strata exec` in the service's running container
//! number N, else its first running one (a one-off too; stdin attached, a terminal when ours is one unless -T, as docker
//! compose's exec); strata exits with the command's code.

use std::io::IsTerminal;

use miette::{Result, miette};
use strata_store::Store;

use super::labels;
use crate::cli::{ComposeArgs, ComposeExecArgs, ExecArgs};
use crate::commands::containers::{self as ctr, report};

pub fn run(store: &Store, args: &ComposeArgs, e: &ComposeExecArgs) -> Result<i32> {
    let Some((project, _)) = super::project(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    let service = e.service.as_str();
    if !project.services.contains_key(service) {
        return Err(miette!("no such service: {service}"));
    }
    let containers = ctr::open(store)?;
    let mut running = Vec::new();
    for c in labels::containers_of(&containers, &project.name)? {
        if labels::service_of(&c) == service && c.refresh().map_err(report)?.status.is_active() {
            running.push(c);
        }
    }
    // Numbered replicas first (containers_of sorts by number; a one-off
    // has none, so 0): the default is replica 1, else whatever runs.
    running.sort_by_key(|c| labels::number_of(c).wrapping_sub(1));
    let c = match e.index {
        Some(n) => running.into_iter().find(|c| labels::number_of(c) == n),
        None => running.into_iter().next(),
    };
    let Some(c) = c else {
        return Err(match e.index {
            Some(n) => miette!("service {service:?} is not running container #{n}"),
            None => miette!("service {service:?} is not running"),
        });
    };
    let exec = ExecArgs {
        interactive: !e.detach,
        tty: !e.detach && !e.no_tty && std::io::stdin().is_terminal(),
        detach: e.detach,
        env: e.env.clone(),
        workdir: e.workdir.clone(),
        user: e.user.clone(),
        container: c.id().to_owned(),
        command: e.command.clone(),
    };
    ctr::exec(store, &exec)
}
