//! The command-line grammar (clap derive). Flags follow docker build, buildah
//! and skopeo habits; see ARCHITECTURE.md "The command line".

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    about = "Build OCI images from Dockerfiles and run them"
)]
pub struct Cli {
    /// Store root (default /var/lib/strata as root, $XDG_DATA_HOME/strata otherwise).
    #[arg(long, global = true, env = "STRATA_ROOT")]
    pub root: Option<PathBuf>,
    /// More output.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Less output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the AST of a Dockerfile.
    Parse(ParseArgs),
    /// Lint a Dockerfile.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ParseFormat,
    /// The Dockerfile (default ./Dockerfile; - for stdin).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ParseFormat {
    Buildkit,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The Dockerfile (default ./Dockerfile; - for stdin).
    pub file: Option<PathBuf>,
}
