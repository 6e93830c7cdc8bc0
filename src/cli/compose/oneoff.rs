//! The grammar of `strata compose run` and `compose exec` (docker compose
//! v2's flags).

use clap::Args;

#[derive(Debug, Args)]
pub struct ComposeRunArgs {
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Run it in the background and print its name.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set an environment variable (K=V, or K to take it from here).
    #[arg(short = 'e', long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Override the service's entrypoint (a command line, split into words).
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Do not start the services it depends on.
    #[arg(long)]
    pub no_deps: bool,
    /// Pull the service's image first: always, missing, never, build, or
    /// policy (its `pull_policy`; the default).
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never", "build", "policy"])]
    pub pull: Option<String>,
    /// Say what is pulled, not each layer's progress.
    #[arg(long)]
    pub quiet_pull: bool,
    /// No terminal, even when standard input is one.
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// The container's name (default PROJECT-SERVICE-run-ID).
    #[arg(long)]
    pub name: Option<String>,
    /// Publish the service's ports too (else a one-off container publishes none).
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Publish a container port (as `run -p`; repeatable).
    #[arg(short = 'p', long = "publish", value_name = "[IP:][HOST:]PORT")]
    pub publish: Vec<String>,
    /// Mount a volume or bind (as `run -v`; repeatable).
    #[arg(short = 'v', long = "volume", value_name = "SRC:DST[:OPTS]")]
    pub volumes: Vec<String>,
    pub service: String,
    /// The command (default the service's).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeExecArgs {
    /// Run the command in the background.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// No terminal, even when standard input is one.
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Set an environment variable (K=V, or K to take it from here).
    #[arg(short = 'e', long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or uid) and optional group.
    #[arg(short = 'u', long = "user", value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Which of the service's numbered containers (default: its first
    /// running one, a one-off included).
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    pub service: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}
