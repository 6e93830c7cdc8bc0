//! One module per command group; each returns the process exit code.

use miette::Result;

use crate::cli::{Cli, Command};

mod container;
mod run;

pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Parse(_) | Command::Check(_) => Err(miette::miette!("not implemented yet")),
        Command::Sandbox(args) => run::sandbox(args),
    }
}
