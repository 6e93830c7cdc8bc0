//! `strata rm [-f]`.

use miette::Result;
use strata_store::Store;

use super::{for_each, open};
use crate::cli::RmArgs;

pub fn rm(store: &Store, args: &RmArgs) -> Result<i32> {
    let containers = open(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        strata_containers::remove(&containers, c, args.force)
    })
}
