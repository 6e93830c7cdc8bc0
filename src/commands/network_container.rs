//! `--network container:NAME|ID`: the container runs in another running
//! container's network namespace (docker's container network mode). The
//! target is resolved at create, by id from then on, so a rename does not
//! lose it; each start joins it afresh (strata_containers::network_join).

use miette::{Result, miette};
use strata_store::Store;

const PREFIX: &str = "container:";

/// Whether `--network MODE` names a container to join.
pub fn is_container_mode(mode: &str) -> bool {
    mode.starts_with(PREFIX)
}

/// The id of the container `--network container:NAME` names; `None` for
/// any other mode.
pub fn target(store: &Store, mode: &str) -> Result<Option<String>> {
    let Some(name) = mode.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    if name.is_empty() {
        return Err(miette!("--network container: needs a container name or id"));
    }
    let containers = super::containers::open(store)?;
    let c = containers
        .find(name)
        .map_err(|e| miette!("--network {mode}: {e}"))?;
    Ok(Some(c.id().to_owned()))
}
