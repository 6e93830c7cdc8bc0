//! Which services an attached `up` shows, as docker compose picks them:
//! `--attach`'s, else the services named on the command line (not what
//! they depend on), else all; less `--no-attach`'s; and always the
//! `--exit-code-from` service, whose exit decides the status. What the
//! project's containers logged before this `up` is not shown again (docker
//! compose attaches to the containers, it does not replay their logs).

use std::collections::{BTreeMap, BTreeSet};

use miette::{Result, miette};
use strata_compose::model::Project;
use strata_containers::Containers;
use strata_store::Store;

use super::attached::{self, Attach, Cascade};
use super::labels;
use crate::cli::ComposeUpArgs;

pub struct Plan {
    services: BTreeSet<String>,
    /// Container id → how long its log was when `up` began.
    seen: BTreeMap<String, u64>,
}

/// Taken before `up` changes anything.
pub fn plan(store: &Store, project: &Project, up: &ComposeUpArgs) -> Result<Plan> {
    let services = services(project, up)?;
    let mut seen = BTreeMap::new();
    if !up.detach && !up.wait {
        let containers = crate::commands::containers::open(store)?;
        for c in labels::containers_of(&containers, &project.name)? {
            let len = std::fs::metadata(c.log_path()).map_or(0, |m| m.len());
            seen.insert(c.id().to_owned(), len);
        }
    }
    Ok(Plan { services, seen })
}

fn services(project: &Project, up: &ComposeUpArgs) -> Result<BTreeSet<String>> {
    let named = up
        .attach
        .iter()
        .chain(&up.no_attach)
        .chain(up.exit_code_from.iter());
    for s in named {
        if !project.services.contains_key(s) {
            return Err(miette!("no such service: {s}"));
        }
    }
    let base: BTreeSet<String> = if !up.attach.is_empty() {
        up.attach.iter().cloned().collect()
    } else if !up.services.is_empty() {
        up.services.iter().cloned().collect()
    } else {
        project.services.keys().cloned().collect()
    };
    let mut set: BTreeSet<String> = base
        .into_iter()
        .filter(|s| !up.no_attach.contains(s))
        .collect();
    set.extend(up.exit_code_from.iter().cloned());
    Ok(set)
}

/// Relays the attached services' output until their containers exit (see
/// attached.rs); the project's other selected containers are stopped with
/// them on an abort or an interrupt.
pub fn follow(
    containers: &Containers,
    project: &str,
    order: &[String],
    selected: &BTreeSet<String>,
    plan: &Plan,
    up: &ComposeUpArgs,
) -> Result<i32> {
    let mut all = labels::containers_of(containers, project)?;
    all.retain(|c| selected.contains(labels::service_of(c)));
    all.sort_by_key(|c| {
        order
            .iter()
            .position(|s| s == labels::service_of(c))
            .unwrap_or(usize::MAX)
    });
    let attached = all
        .iter()
        .filter(|c| plan.services.contains(labels::service_of(c)))
        .map(|c| (c.clone(), plan.seen.get(c.id()).copied().unwrap_or(0)))
        .collect();
    attached::run(Attach {
        project,
        attached,
        all,
        cascade: if up.abort_on_container_exit || up.exit_code_from.is_some() {
            Cascade::OnExit
        } else if up.abort_on_container_failure {
            Cascade::OnFailure
        } else {
            Cascade::Never
        },
        exit_code_from: up.exit_code_from.as_deref(),
    })
}
