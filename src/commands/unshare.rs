//! `strata unshare`: a command in the namespace rootless strata works in
//! (entered in main, see rootless.rs), as `buildah unshare`: outside it, a
//! rootless store's files belong to subordinate ids the user cannot remove.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use miette::{Result, miette};
use strata_store::Store;

use crate::cli::UnshareArgs;

pub fn run(root: Option<PathBuf>, args: &UnshareArgs) -> Result<i32> {
    let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into());
    let (program, rest) = match args.command.split_first() {
        Some((program, rest)) => (program.clone(), rest),
        None => (shell, &[][..]),
    };
    let root = root.unwrap_or_else(Store::default_root);
    let err = std::process::Command::new(&program)
        .args(rest)
        .env("STRATA_ROOT", &root)
        .exec();
    Err(miette!("cannot run {program}: {err}"))
}
