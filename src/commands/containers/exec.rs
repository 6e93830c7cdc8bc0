//! `strata exec [-i] [-t] [-d] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...`:
//! the command runs in the container with our stdout and stderr (and stdin
//! with -i; a terminal of the container's devpts with -t); signals sent to
//! strata are forwarded to it; strata exits with its code (126/127 when it
//! cannot be run, as docker's). With -d it runs on in the background.

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
    if args.detach {
        return detached(store, &c, args);
    }
    let mut spec = c.config.spec.clone();
    spec.args = args.command.clone();
    // The joiner opens it in the container's devpts and relays our stdio.
    spec.tty = args.tty;
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
    // podman's exec --tty: TERM=xterm unless the run or the exec set one.
    if args.tty && !spec.env.iter().any(|e| e.starts_with("TERM=")) {
        spec.env.push("TERM=xterm".to_owned());
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

/// `exec -d`: this same exec, re-run in its own process group with no
/// stdio, outlives us (the joiner dies with its parent, so it needs one
/// that stays). Refused at once if the container is not running.
fn detached(store: &Store, c: &strata_containers::Container, args: &ExecArgs) -> Result<i32> {
    let state = c.refresh().map_err(report)?;
    if state.status != strata_containers::Status::Running {
        return Err(report(strata_containers::ContainerError::NotRunning(
            args.container.clone(),
        )));
    }
    let exe = std::env::current_exe().map_err(|e| miette!("locate the strata binary: {e}"))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--root").arg(store.root()).arg("exec");
    if args.tty {
        cmd.arg("-t");
    }
    for e in &args.env {
        cmd.arg(format!("--env={e}"));
    }
    if let Some(dir) = &args.workdir {
        cmd.arg(format!("--workdir={dir}"));
    }
    if let Some(user) = &args.user {
        cmd.arg(format!("--user={user}"));
    }
    cmd.arg(c.id()).args(&args.command);
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| miette!("start the detached exec: {e}"))?;
    Ok(0)
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
