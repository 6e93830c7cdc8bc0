//! The grammar of `strata compose ...` (docker compose v2's flags).

use std::path::PathBuf;

use clap::{Args, Subcommand};

mod oneoff;
mod project_ops;
pub use oneoff::*;
pub use project_ops::*;

#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// Compose file (repeatable, merged in order; - for standard input).
    /// Default: compose.yaml, compose.yml, docker-compose.yaml or
    /// docker-compose.yml here or in the nearest parent directory.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: COMPOSE_PROJECT_NAME, the top-level `name`, the project directory's name).
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Enable a profile (repeatable; default COMPOSE_PROFILES).
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Environment file for interpolation instead of the project's .env (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Project directory (default: the first compose file's directory).
    #[arg(long = "project-directory", value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// How builds show their progress: plain lines (the default; each
    /// prefixed by its service), json (objects with a `service` field),
    /// quiet; auto and tty are plain too. Default $COMPOSE_PROGRESS.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "MODE",
        env = "COMPOSE_PROGRESS"
    )]
    pub progress: Option<crate::cli::ProgressMode>,
    #[command(subcommand)]
    pub command: ComposeCommand,
}

#[derive(Debug, Subcommand)]
pub enum ComposeCommand {
    /// Print the normalized model (what docker compose config prints).
    Config(ComposeConfigArgs),
    /// Create and start the project's networks, volumes and containers.
    Up(ComposeUpArgs),
    /// Create the project's networks, volumes and containers, starting
    /// none (`up --no-start`; `start` starts them).
    Create(ComposeCreateArgs),
    /// Stop and remove the project's containers and networks.
    Down(ComposeDownArgs),
    /// List the project's containers.
    Ps(ComposePsArgs),
    /// The output of the project's containers, each line prefixed by its container.
    Logs(ComposeLogsArgs),
    /// Stop the project's containers (dependents first).
    Stop(ComposeServicesArgs),
    /// Start the project's stopped containers (in dependency order).
    Start(ComposeServicesArgs),
    /// Stop, then start the project's containers.
    Restart(ComposeServicesArgs),
    /// Remove the project's stopped containers.
    Rm(ComposeRmArgs),
    /// Build the images of the services with a `build` section.
    Build(ComposeBuildArgs),
    /// Run a one-off command in a new container of a service (its
    /// dependencies started first); exits with the command's code.
    Run(ComposeRunArgs),
    /// Run a command in a running container of a service.
    Exec(ComposeExecArgs),
    /// Send a signal to the project's containers (default SIGKILL).
    Kill(ComposeKillArgs),
    /// Freeze the project's running containers.
    Pause(ComposeServicesArgs),
    /// Thaw the project's paused containers.
    Unpause(ComposeServicesArgs),
    /// The processes of each of the project's running containers.
    Top(ComposeServicesArgs),
    /// The images the project's containers run.
    Images(ComposeImagesArgs),
    /// The host address a service's container port is published on.
    Port(ComposePortArgs),
    /// The projects that have containers here, from their labels.
    Ls(ComposeLsArgs),
    /// Pull the services' images from their registries.
    Pull(ComposePullArgs),
    /// Push the images of the services that have both `build` and `image`.
    Push(ComposePushArgs),
}

#[derive(Debug, Args)]
pub struct ComposeServicesArgs {
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeBuildArgs {
    /// Show nothing of the builds (errors aside).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Pull the images the Dockerfiles name even when the store has them.
    #[arg(long)]
    pub pull: bool,
    /// Build every step again, the cache unused.
    #[arg(long)]
    pub no_cache: bool,
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeRmArgs {
    /// Do not ask (strata never asks; accepted as docker compose spells it).
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop running containers first (else they are left alone).
    #[arg(short = 's', long)]
    pub stop: bool,
    /// Remove the containers' anonymous volumes too.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Only these services (default all).
    pub services: Vec<String>,
}

fn scale_arg(text: &str) -> Result<(String, u32), String> {
    let (svc, n) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected SERVICE=N"))?;
    let n = n
        .parse()
        .map_err(|_| format!("{text:?}: {n:?} is not a number of containers"))?;
    Ok((svc.to_owned(), n))
}

#[derive(Debug, Default, Args)]
pub struct ComposeUpArgs {
    /// Run the containers in the background (else their output is shown
    /// until they exit or Ctrl-C stops them).
    #[arg(short = 'd', long, conflicts_with_all = ["abort_on_container_exit", "abort_on_container_failure", "exit_code_from"])]
    pub detach: bool,
    /// Stop every container as soon as one of the attached ones exits.
    #[arg(long)]
    pub abort_on_container_exit: bool,
    /// Stop every container as soon as one of the attached ones fails
    /// (exits non-zero), and exit with its code.
    #[arg(long, conflicts_with = "abort_on_container_exit")]
    pub abort_on_container_failure: bool,
    /// Exit with SERVICE's exit code (implies --abort-on-container-exit).
    #[arg(long, value_name = "SERVICE")]
    pub exit_code_from: Option<String>,
    /// Show only these services' output (repeatable; default the named
    /// services, else all).
    #[arg(long, value_name = "SERVICE")]
    pub attach: Vec<String>,
    /// Do not show these services' output (repeatable).
    #[arg(long, value_name = "SERVICE")]
    pub no_attach: Vec<String>,
    /// Detach, then wait until every container runs (and is healthy, when
    /// it has a healthcheck); fail if one exits or turns unhealthy.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: fail when the containers are not ready after this many
    /// seconds (they are left running).
    #[arg(long, value_name = "SECONDS", requires = "wait")]
    pub wait_timeout: Option<u64>,
    /// Build the images of services with a `build` section even when they
    /// exist (else only the missing ones are built).
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Build nothing: a service with a `build` section runs the image its
    /// build made before (`image`, else PROJECT-SERVICE), which must exist.
    #[arg(long)]
    pub no_build: bool,
    /// Pull images before running: always, missing, never, build, or
    /// policy (each service's `pull_policy`; the default).
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never", "build", "policy"])]
    pub pull: Option<String>,
    /// Say what is pulled, not each layer's progress.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Create the containers (and networks and volumes) but start none.
    #[arg(long, conflicts_with_all = ["wait", "abort_on_container_exit", "abort_on_container_failure", "exit_code_from"])]
    pub no_start: bool,
    /// Recreate every container, changed or not.
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// Keep existing containers even when their service changed.
    #[arg(long)]
    pub no_recreate: bool,
    /// Give recreated containers new anonymous volumes (else they get
    /// those of the containers they replace, data and all).
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Recreate the containers of the services the named ones depend on,
    /// changed or not.
    #[arg(long, conflicts_with = "no_recreate")]
    pub always_recreate_deps: bool,
    /// Remove the project's containers whose service left the file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Run N containers of SERVICE, overriding its `scale` (repeatable).
    #[arg(long, value_name = "SERVICE=N", value_parser = scale_arg)]
    pub scale: Vec<(String, u32)>,
    /// Services to start, with the services they depend on (default all).
    pub services: Vec<String>,
}

/// docker compose create's flags: those of `up` that decide what is made.
#[derive(Debug, Args)]
pub struct ComposeCreateArgs {
    /// Build the images of services with a `build` section even when they
    /// exist (else only the missing ones are built).
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Build nothing: a service with a `build` section gets the image its
    /// build made before (`image`, else PROJECT-SERVICE), which must exist.
    #[arg(long)]
    pub no_build: bool,
    /// Pull images first: always, missing, never, build, or policy (each
    /// service's `pull_policy`; the default).
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never", "build", "policy"])]
    pub pull: Option<String>,
    /// Say what is pulled, not each layer's progress.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Recreate every container, changed or not.
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// Keep existing containers even when their service changed.
    #[arg(long)]
    pub no_recreate: bool,
    /// Remove the project's containers whose service left the file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Make N containers of SERVICE, overriding its `scale` (repeatable).
    #[arg(long, value_name = "SERVICE=N", value_parser = scale_arg)]
    pub scale: Vec<(String, u32)>,
    /// Services to create, with the services they depend on (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeDownArgs {
    /// Remove the named volumes of the project's `volumes` section and the
    /// containers' anonymous volumes too.
    #[arg(short = 'v', long)]
    pub volumes: bool,
}

#[derive(Debug, Args)]
pub struct ComposePsArgs {
    /// Stopped containers too.
    #[arg(short = 'a', long)]
    pub all: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::cli::ListFormat,
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeLogsArgs {
    /// Keep printing new output until every container has stopped.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only the last N lines of each container.
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<usize>,
    /// Only these services (default all).
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ComposeConfigArgs {
    /// Print the service names, one a line.
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one a line.
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one a line.
    #[arg(long)]
    pub networks: bool,
    /// Print the profile names, one a line.
    #[arg(long)]
    pub profiles: bool,
    /// Print the model of each top-level `models` entry, one a line.
    #[arg(long)]
    pub models: bool,
    /// Print the image of each service, one a line.
    #[arg(long)]
    pub images: bool,
    /// Print `SERVICE HASH` for these services (comma-separated, `*` for all):
    /// the config hash their containers will be labelled with.
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: ComposeFormat,
    /// Print the variables the files use, with their defaults.
    #[arg(long)]
    pub variables: bool,
    /// Print the model without interpolating variables.
    #[arg(long = "no-interpolate")]
    pub no_interpolate: bool,
    /// Skip the consistency checks (a service without image or build, a
    /// dependency on an undefined service), to list what a broken model holds.
    #[arg(long = "no-consistency")]
    pub no_consistency: bool,
    /// Services to print (default all).
    pub service_names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ComposeFormat {
    Yaml,
    Json,
}
