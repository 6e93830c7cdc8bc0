//! `strata diff CONTAINER` and `strata rename CONTAINER NAME`.

use miette::Result;
use strata_store::Store;

use super::{open, report};
use crate::cli::{ContainersArg, RenameArgs};

pub fn diff(store: &Store, args: &ContainersArg) -> Result<i32> {
    let containers = open(store)?;
    for name in &args.containers {
        let c = containers.find(name).map_err(report)?;
        for (change, path) in strata_containers::diff(&c).map_err(report)? {
            println!("{} {path}", change.letter());
        }
    }
    Ok(0)
}

pub fn rename(store: &Store, args: &RenameArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = containers.find(&args.container).map_err(report)?;
    let _lock = c.lock().map_err(report)?;
    containers.rename(&c, &args.new_name).map_err(report)?;
    Ok(0)
}
