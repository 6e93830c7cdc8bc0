//! The grammar of `top` and `container prune`.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct TopArgs {
    pub container: String,
    /// Options for the host's `ps` (default -ef); only the container's
    /// processes are shown.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainerCmdArgs {
    #[command(subcommand)]
    pub command: ContainerCommand,
}

#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Remove every container that is not running (created or exited).
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// label=K[=V], label!=K[=V], until=TIME|DURATION (created before it).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print once and exit (else refresh every second until interrupted).
    #[arg(long)]
    pub no_stream: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: super::ListFormat,
    /// Containers (default: every running one).
    pub containers: Vec<String>,
}
