//! `strata rm [-f] [-v]`.

use miette::Result;
use strata_containers::Volumes;
use strata_store::Store;

use super::{for_each, open};
use crate::cli::RmArgs;

pub fn rm(store: &Store, args: &RmArgs) -> Result<i32> {
    let containers = open(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        strata_containers::remove(&containers, c, args.force)?;
        if args.volumes {
            Volumes::open(store)?.remove_anonymous(&containers, c.id(), &c.config.spec)?;
        }
        Ok(())
    })
}
