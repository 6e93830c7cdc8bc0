//! The grammar of `strata compose kill|pause|unpause|top|images|port|ls|
//! pull|push` (docker compose v2's flags).

use clap::Args;

#[derive(Debug, Args)]
pub struct ComposeKillArgs {
    /// The signal: a name (TERM, SIGHUP) or a number.
    #[arg(
        short = 's',
        long = "signal",
        default_value = "KILL",
        allow_hyphen_values = true
    )]
    pub signal: String,
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeImagesArgs {
    /// Only the image ids.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::cli::ListFormat,
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposePortArgs {
    /// tcp or udp.
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Which of the service's containers (default 1).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub index: u32,
    pub service: String,
    /// The container port.
    pub private_port: u16,
}

#[derive(Debug, Args)]
pub struct ComposeLsArgs {
    /// Stopped projects too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only the project names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::cli::ListFormat,
}

#[derive(Debug, Args)]
pub struct ComposePullArgs {
    /// Go on when an image cannot be pulled (warn instead).
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Show nothing of the pulls.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Skip the services that have a `build` section (their image can be
    /// built).
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Every service's pull policy for this pull: missing (skip the images
    /// the store has, but `:latest`) or always.
    #[arg(long, value_name = "POLICY", value_parser = ["missing", "always"])]
    pub policy: Option<String>,
    #[command(flatten)]
    pub registry: crate::cli::RegistryOpts,
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposePushArgs {
    /// Go on when an image cannot be pushed (warn instead).
    #[arg(long)]
    pub ignore_push_failures: bool,
    #[command(flatten)]
    pub registry: crate::cli::RegistryOpts,
    /// Only these services (default all).
    pub services: Vec<String>,
}
