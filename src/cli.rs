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
    /// More output. Not global: `run -v` is a volume, as in docker.
    #[arg(short, long)]
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
    /// Run a command in a sandbox on plain directories (developer tool).
    #[command(hide = true)]
    Sandbox(Box<SandboxArgs>),
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

/// Flags shared by `run` and `sandbox`: how the process runs and is confined.
#[derive(Debug, Args)]
pub struct ContainerArgs {
    /// Set an environment variable (K=V, or K to take it from here).
    #[arg(short = 'e', long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or uid) and optional group, from the image's /etc/passwd and /etc/group.
    #[arg(short = 'u', long = "user", value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Bind mount a host path.
    #[arg(short = 'v', long = "volume", value_name = "SRC:DST[:ro]")]
    pub volumes: Vec<String>,
    /// Network namespace.
    #[arg(long, value_enum, default_value = "host")]
    pub network: NetworkMode,
    /// Memory limit (bytes, or with k/m/g suffix).
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Maximum number of processes.
    #[arg(long = "pids-limit", value_name = "N")]
    pub pids_limit: Option<u64>,
    /// Hostname inside the container.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Use a user namespace even as root (always on for other users).
    #[arg(long)]
    pub userns: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkMode {
    Host,
    None,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// A root directory used in place.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["lower", "upper", "work"])]
    pub rootfs: Option<PathBuf>,
    /// Overlay lower dirs, lowest first.
    #[arg(long, value_name = "DIR", requires_all = ["upper", "work"])]
    pub lower: Vec<PathBuf>,
    /// Overlay upper dir (receives the writes).
    #[arg(long, value_name = "DIR")]
    pub upper: Option<PathBuf>,
    /// Overlay work dir (same filesystem as the upper dir).
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,
    #[command(flatten)]
    pub container: ContainerArgs,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}
