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
    /// Log in to a registry (credentials go to docker's config.json).
    Login(LoginArgs),
    /// Forget the credentials of a registry.
    Logout(LogoutArgs),
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

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Registry host[:port] (docker.io when omitted), or a URL.
    pub server: Option<String>,
    #[arg(short, long)]
    pub username: Option<String>,
    /// The password (visible in the process list: prefer --password-stdin).
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    /// Credentials file (default $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
    /// Check TLS certificates; false also allows plain http.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub tls_verify: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Registry host[:port] (docker.io when omitted), or a URL.
    pub server: Option<String>,
    /// Credentials file (default as for login).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
}
