//! `strata exec [-i] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...`: the
//! command runs in the container with our stdout and stderr (and stdin
//! with -i); signals sent to strata are forwarded to it; strata exits with
//! its code (126/127 when it cannot be run, as docker's).

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use miette::{IntoDiagnostic, Result, miette};
use strata_builder::accounts::Accounts;
use strata_executor::{ExecError, Rootfs, Stdio};
use strata_store::Store;

use super::{open, report};
use crate::cli::ExecArgs;
use crate::commands::container::set_env;

pub fn exec(store: &Store, args: &ExecArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = containers.find(&args.container).map_err(report)?;
    let mut spec = c.config.spec.clone();
    spec.args = args.command.clone();
    spec.tty = false;
    for entry in &args.env {
        let entry = match entry.split_once('=') {
            Some(_) => entry.clone(),
            None => match std::env::var(entry) {
                Ok(v) => format!("{entry}={v}"),
                Err(_) => continue,
            },
        };
        set_env(&mut spec.env, entry);
    }
    if let Some(dir) = &args.workdir {
        spec.cwd = dir.clone();
    }
    if let Some(user) = &args.user {
        spec.user = Accounts::of_layers(&layers(&spec.rootfs))
            .user(user)
            .into_diagnostic()?;
    }
    let stdin: Option<OwnedFd> = if args.interactive {
        None
    } else {
        Some(
            std::fs::File::open("/dev/null")
                .map_err(|e| miette!("open /dev/null: {e}"))?
                .into(),
        )
    };
    strata_executor::block_forwarded_signals().into_diagnostic()?;
    let stdio = Stdio {
        stdin,
        ..Stdio::inherit()
    };
    let mut joined = strata_containers::exec(&c, &spec, stdio).map_err(report)?;
    loop {
        match joined.try_wait() {
            Ok(Some(status)) => return Ok(status.code()),
            Ok(None) => {}
            Err(e @ ExecError::CommandNotFound(_)) => return failed(e, 127),
            Err(e @ ExecError::CannotExecute { .. }) => return failed(e, 126),
            Err(e) => return Err(miette!("exec in {}: {e}", args.container)),
        }
        if let Some(sig) = strata_executor::next_signal(50).into_diagnostic()?
            && sig != strata_executor::Signal::CHILD
        {
            joined.signal(sig);
        }
    }
}

fn failed(e: ExecError, code: i32) -> Result<i32> {
    eprintln!("error: {e}");
    Ok(code)
}

/// The container's dirs, lowest first, its writes last: where users and
/// groups are looked up.
fn layers(rootfs: &Rootfs) -> Vec<PathBuf> {
    match rootfs {
        Rootfs::Overlay { lower, upper, .. } => {
            lower.iter().cloned().chain([upper.clone()]).collect()
        }
        Rootfs::Dir(dir) => vec![dir.clone()],
    }
}
