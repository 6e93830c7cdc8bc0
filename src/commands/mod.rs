//! One module per command group; each returns the process exit code.

mod check;
mod dockerfile_input;
mod parse;

use miette::Result;

use crate::cli::{Cli, Command};

pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Parse(args) => parse::run(&args),
        Command::Check(args) => check::run(&args),
    }
}
