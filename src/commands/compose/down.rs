//! `strata compose down [-v]`: the project's containers (dependents
//! first), then its networks, and with -v its named volumes and the
//! containers' anonymous ones. What is the project's is read from the
//! labels `up` set; external networks and volumes carry none, so they stay.
//! With `-p NAME` and no compose file, the labels are all it needs.

use miette::Result;
use strata_containers::{Container, Volumes};
use strata_network::Networks;
use strata_store::Store;

use super::labels::{self, PROJECT};
use crate::cli::{ComposeArgs, ComposeDownArgs};
use crate::commands::containers::{self as ctr, report};
use crate::commands::network::net_err;

pub fn run(store: &Store, args: &ComposeArgs, down: &ComposeDownArgs) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    let containers = ctr::open(store)?;
    let mut found = labels::containers_of(&containers, &scope.name)?;
    let order = scope.start_order(&found).unwrap_or_default();
    // Reverse start order; services the model no longer has go first.
    let rank = |c: &Container| order.iter().position(|s| s == labels::service_of(c));
    found.sort_by_key(|c| std::cmp::Reverse(rank(c)));
    let volumes = Volumes::open(store).map_err(report)?;
    for c in &found {
        super::up::remove(&containers, c)?;
        if down.volumes {
            volumes
                .remove_anonymous(&containers, c.id(), &c.config.spec)
                .map_err(report)?;
        }
        eprintln!(" Container {}  Removed", c.config.name);
    }
    let ours = |l: &std::collections::BTreeMap<String, String>| {
        l.get(PROJECT).is_some_and(|p| *p == scope.name)
    };
    let nets = Networks::new(store.root());
    for net in nets
        .list()
        .map_err(net_err)?
        .into_iter()
        .filter(|n| ours(&n.labels))
    {
        nets.remove(&net.name).map_err(net_err)?;
        eprintln!(" Network {}  Removed", net.name);
    }
    if down.volumes {
        for v in volumes
            .list()
            .map_err(report)?
            .into_iter()
            .filter(|v| ours(&v.labels))
        {
            let _lock = volumes.removal_lock().map_err(report)?;
            volumes.remove(&containers, &v).map_err(report)?;
            eprintln!(" Volume {}  Removed", v.name);
        }
    }
    Ok(0)
}
