//! `build --ssh`: the flags read (a malformed one is a usage error) and
//! their agents started for the build.

use strata_builder::ssh::{SshAgents, SshError, SshSpec};
use strata_store::Store;

use super::build_failure::Failure;

pub fn agents(store: &Store, flags: &[String]) -> Result<SshAgents, Failure> {
    let specs = flags
        .iter()
        .map(|f| f.parse::<SshSpec>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    SshAgents::start(store, &specs).map_err(|e| match e {
        SshError::Malformed(_) => Failure::Usage(e.to_string()),
        e => Failure::Other(miette::miette!("{e}")),
    })
}
