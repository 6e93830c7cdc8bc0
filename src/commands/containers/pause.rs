//! `strata pause` and `unpause`.

use miette::Result;
use strata_store::Store;

use super::{for_each, open};
use crate::cli::ContainersArg;

pub fn pause(store: &Store, args: &ContainersArg) -> Result<i32> {
    let containers = open(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        strata_containers::pause(c).map(drop)
    })
}

pub fn unpause(store: &Store, args: &ContainersArg) -> Result<i32> {
    let containers = open(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        strata_containers::unpause(c).map(drop)
    })
}
