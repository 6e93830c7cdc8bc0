//! The `strata` command line: parses arguments, dispatches to a command,
//! turns any error into one clear message and an exit code.

mod cli;
mod cli_network;
mod commands;
mod progress;
mod rootless;

use clap::Parser;

fn main() {
    // A sandbox init is this binary re-executed; it never returns.
    strata_executor::init_if_requested();
    // So is the joiner of `strata exec`.
    strata_executor::join_if_requested();
    let mut cli = cli::Cli::parse();
    let code = match rootless::enter(&mut cli).and_then(|()| commands::dispatch(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:?}");
            1
        }
    };
    std::process::exit(code);
}
