//! `strata commit [-m MSG] [-a AUTHOR] [-c INSTRUCTION]... [--pause BOOL] CONTAINER [IMAGE]`:
//! prints the new image's manifest digest.

use miette::Result;
use strata_containers::CommitOptions;
use strata_store::{ImageRef, Store};

use super::{open, report};
use crate::cli::CommitArgs;
use crate::commands::store_open;

pub fn commit(store: &Store, args: &CommitArgs) -> Result<i32> {
    // A bad name is refused before any layer is written.
    let name = args
        .image
        .as_deref()
        .map(ImageRef::parse)
        .transpose()
        .map_err(store_open::report)?;
    let containers = open(store)?;
    let c = containers.find(&args.container).map_err(report)?;
    let base = store
        .image(&c.config.image_digest)
        .map_err(store_open::report)?;
    let image_env = base
        .config
        .config()
        .as_ref()
        .and_then(|cfg| cfg.env().clone())
        .unwrap_or_default();
    // Refused before any layer is written, as a bad name is.
    let changes = super::commit_change::changes(&args.changes, &image_env)?;
    let _lock = c.lock().map_err(report)?;
    let opts = CommitOptions {
        message: args.message.clone(),
        author: args.author.clone(),
        pause: args.pause,
        changes,
    };
    let digest =
        strata_containers::commit(&containers, &c, name.as_ref(), &opts).map_err(report)?;
    println!("{digest}");
    Ok(0)
}
