//! The grammar of the container lifecycle commands: create, start, stop,
//! restart, kill, rm, ps, logs, wait, and `run`'s -d/--name/--label
//! (attach and -i/-t: attach.rs).

use clap::Args;

use super::ContainerArgs;

/// `run` flags that make the run a recorded container (`-d`, `--name`).
#[derive(Debug, Args)]
pub struct LifecycleArgs {
    /// Run in the background under a monitor; print the container id.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Forward the signals strata gets to the process (without -t, where
    /// ^C is a key). `--sig-proxy=false`: an attached run leaves it
    /// running and ends (exit 128+signal); an unrecorded one ignores them.
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub sig_proxy: bool,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// What `run` and `create` both record of a container: its name, labels,
/// id file, restart policy, how to stop it and its healthcheck.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Name the container (unique in the store; default: made up). A `run`
    /// with a name is recorded, for ps, logs, start, rm.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Set a label on the container (K=V, or K for an empty value).
    #[arg(short = 'l', long = "label", value_name = "K=V")]
    pub labels: Vec<String>,
    /// Read labels from a file (K=V lines, # comments).
    #[arg(long = "label-file", value_name = "FILE", value_parser = super::kv_file::label_file)]
    pub label_files: Vec<super::LabelFile>,
    /// Write the container's id to this file (which must not exist yet).
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<std::path::PathBuf>,
    /// Restart policy: no, on-failure[:N], always, unless-stopped (a stop
    /// or kill by the user always ends it).
    #[arg(long, value_name = "POLICY", default_value = "no")]
    pub restart: strata_containers::RestartPolicy,
    /// The signal `stop` sends first (default: the image's STOPSIGNAL, else TERM).
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Seconds `stop` waits before SIGKILL (default 10).
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u64>,
    #[command(flatten)]
    pub health: HealthArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub terminal: super::TerminalArgs,
    /// Remove the container when its process ends.
    #[arg(long)]
    pub rm: bool,
    #[command(flatten)]
    pub container: ContainerArgs,
    /// The platform's image of a multi-platform image (as for run).
    #[arg(long)]
    pub platform: Option<strata_store::Platform>,
    #[command(flatten)]
    pub net: crate::cli_network::RunNetworkFlags,
    /// The image: a name, a digest, or a transport reference (as for run).
    pub image: String,
    /// The command and its arguments (default: the image's CMD, after its ENTRYPOINT).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Follow the container's output until it exits, and exit with its code.
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// With -a: forward our stdin to the container (made with -i).
    #[arg(short = 'i', long, requires = "attach")]
    pub interactive: bool,
    /// Containers (name, id, or a unique id prefix).
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait after the stop signal before SIGKILL (default: the
    /// container's --stop-timeout, else 10).
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u64>,
    /// The stop signal (default: the container's, else TERM).
    #[arg(short = 's', long = "signal", allow_hyphen_values = true)]
    pub signal: Option<String>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// The signal: a name (TERM, SIGHUP) or a number.
    #[arg(
        short = 's',
        long = "signal",
        default_value = "KILL",
        allow_hyphen_values = true
    )]
    pub signal: String,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Kill a running container first.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove the container's anonymous volumes too.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show every container, not only running ones.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Print only ids.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// status=created|running|paused|restarting|exited, name=SUBSTRING, label=K[=V], id=PREFIX, ancestor=IMAGE
    /// (repeated keys: any may match; different keys: all must).
    #[arg(short = 'f', long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// table, json, or a Go template ({{.ID}} {{.Names}} {{.Image}} {{.Status}}
    /// {{.State}} {{.Command}} {{.Labels}} {{.CreatedAt}} {{.RunningFor}}
    /// {{.ImageID}}; a `table` prefix adds headers and aligns \t columns).
    #[arg(long, default_value = "table", value_parser = ps_format)]
    pub format: String,
    /// Print full ids.
    #[arg(long)]
    pub no_trunc: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new output until the container stops.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only the last N lines.
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<usize>,
    /// Prefix each line with the time it was written (RFC 3339).
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Only lines written since: a time (RFC 3339, e.g. 2026-01-02T15:04:05Z
    /// or with +01:00), unix seconds, or a duration ago (10m, 1h30m).
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<std::time::SystemTime>,
    /// Only lines written before: a time, unix seconds, or a duration ago
    /// (as --since). With -f, following stops there.
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub until: Option<std::time::SystemTime>,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct ContainersArg {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Wait for the starting client to attach before the process starts.
    #[arg(long)]
    pub wait_attach: bool,
    /// The container's full id.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Connect standard input to the process.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Give the command a terminal (a pty in the container's devpts).
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Run the command in the background; print nothing.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set an environment variable (K=V, or K to take it from here).
    #[arg(short = 'e', long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or uid) and optional group, from the container's /etc/passwd and /etc/group.
    #[arg(short = 'u', long = "user", value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    pub container: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// A comment for the new layer's history entry.
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// The image's author.
    #[arg(short = 'a', long)]
    pub author: Option<String>,
    /// A Dockerfile instruction applied to the new image's config: CMD,
    /// ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR or VOLUME (repeatable).
    #[arg(short = 'c', long = "change", value_name = "INSTRUCTION", value_parser = super::commit_change::change_arg)]
    pub changes: Vec<strata_parser::Instruction>,
    /// Freeze a running container while its changes are read (root only).
    #[arg(short = 'p', long, default_value_t = true, action = clap::ArgAction::Set)]
    pub pause: bool,
    pub container: String,
    /// Name for the new image (default: none; its digest is printed).
    pub image: Option<String>,
}

/// docker's healthcheck flags.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The check, run with `sh -c` inside the container; exit 0 is healthy
    /// (default: the image's HEALTHCHECK).
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between checks (default: the image's HEALTHCHECK, else 30s).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub health_interval: Option<std::time::Duration>,
    /// How long one check may run (default: the image's, else 30s).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub health_timeout: Option<std::time::Duration>,
    /// Failures in a row that make the container unhealthy (default: the image's, else 3).
    #[arg(long, value_name = "N")]
    pub health_retries: Option<u32>,
    /// Failures this early after a start do not count (default: the image's, else 0s).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub health_start_period: Option<std::time::Duration>,
    /// What an unhealthy container gets: none, or kill (then the restart policy applies).
    #[arg(long, value_enum, default_value = "none")]
    pub health_on_failure: HealthOnFailure,
    /// No healthcheck, not even the image's.
    #[arg(long, conflicts_with = "health_cmd")]
    pub no_healthcheck: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HealthOnFailure {
    None,
    Kill,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub container: String,
    pub new_name: String,
}

/// table, json, or text with a `{{.Field}}`: anything else is a usage error.
fn ps_format(text: &str) -> Result<String, String> {
    if matches!(text, "table" | "json") || text.contains("{{") {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a format: table, json, or a template such as '{{{{.Names}}}}'"
        ))
    }
}

/// `--since` as docker takes it.
pub(crate) fn parse_since(given: &str) -> Result<std::time::SystemTime, String> {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    // GNU date's --iso-8601=ns writes a comma before the fraction.
    let text = &given.replace(',', ".");
    if let Ok(ago) = humantime::parse_duration(text) {
        return Ok(SystemTime::now() - ago);
    }
    if let Ok(secs) = text.parse::<f64>()
        && secs >= 0.0
    {
        return Ok(UNIX_EPOCH + Duration::from_secs_f64(secs));
    }
    let bad = || format!("{text:?} is not a time (RFC 3339), unix seconds or a duration");
    // humantime reads UTC only: an offset like +01:00 is applied by hand.
    let (base, offset) = match text.len().checked_sub(6).map(|i| text.split_at(i)) {
        Some((base, off))
            if matches!(off.as_bytes().first(), Some(b'+' | b'-'))
                && off.as_bytes().get(3) == Some(&b':') =>
        {
            let hours: u64 = off[1..3].parse().map_err(|_| bad())?;
            let mins: u64 = off[4..6].parse().map_err(|_| bad())?;
            let secs = Duration::from_secs(hours * 3600 + mins * 60);
            (format!("{base}Z"), Some((off.starts_with('+'), secs)))
        }
        _ => (text.to_owned(), None),
    };
    let t = humantime::parse_rfc3339_weak(&base).map_err(|_| bad())?;
    Ok(match offset {
        Some((true, d)) => t - d,
        Some((false, d)) => t + d,
        None => t,
    })
}
