//! One module per command group; each returns the process exit code.

mod login;

use miette::Result;

use crate::cli::{Cli, Command};

pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Parse(_) | Command::Check(_) => Err(miette::miette!("not implemented yet")),
        Command::Login(args) => login::login(&args),
        Command::Logout(args) => login::logout(&args),
    }
}
