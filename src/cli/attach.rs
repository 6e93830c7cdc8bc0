//! The grammar of attaching: `attach`, and the `-i`/`-t` of run and create.

use clap::Args;

/// docker's `-i` and `-t` for run and create.
#[derive(Debug, Args)]
pub struct TerminalArgs {
    /// Keep the process's stdin open: an attached run forwards ours, and
    /// `attach` can later.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Give the process a terminal (a pty; stdout and stderr become one stream).
    #[arg(short = 't', long)]
    pub tty: bool,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Do not forward our stdin (a container made with -i takes it otherwise).
    #[arg(long)]
    pub no_stdin: bool,
    /// The keys that detach, leaving the container running (empty: none).
    #[arg(long, value_name = "KEYS", default_value = "ctrl-p,ctrl-q")]
    pub detach_keys: String,
    /// Forward the signals strata gets to the process (without -t).
    /// `--sig-proxy=false`: a signal ends the attach (exit 128+signal) and
    /// the container runs on.
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub sig_proxy: bool,
    pub container: String,
}
