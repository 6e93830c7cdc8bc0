//! `strata stop`, `restart`, `kill`.

use std::time::Duration;

use miette::Result;
use strata_containers::{Container, ContainerError, Stopped, monitor, parse_signal};
use strata_store::Store;

use super::{for_each, monitor_command, open, report};
use crate::cli::{KillArgs, StopArgs};

pub fn stop(store: &Store, args: &StopArgs) -> Result<i32> {
    let containers = open(store)?;
    check_signal(args)?;
    for_each(&containers, &args.containers, |c| {
        {
            let _lock = c.lock()?;
            stop_one(c, args)?;
        }
        // The monitor of a --rm container removes it once we let go.
        if c.config.auto_remove {
            strata_containers::wait_removed(c);
        }
        Ok(())
    })
}

/// A bad -s is a usage error before any container is touched.
fn check_signal(args: &StopArgs) -> Result<()> {
    if let Some(sig) = &args.signal {
        parse_signal(sig).map_err(report)?;
    }
    Ok(())
}

/// The signal and timeout: the flags, else the container's own.
fn stop_one(c: &Container, args: &StopArgs) -> std::result::Result<(), ContainerError> {
    let name = args.signal.as_deref().unwrap_or(c.config.stop_signal());
    let time = args.time.unwrap_or(c.config.stop_timeout());
    let (_, how) = strata_containers::stop(c, parse_signal(name)?, Duration::from_secs(time))?;
    if how == Stopped::Killed {
        eprintln!(
            "warning: StopSignal {name} failed to stop container {} in {time} seconds, resorting to SIGKILL",
            c.config.name
        );
    }
    Ok(())
}

pub fn restart(store: &Store, args: &StopArgs) -> Result<i32> {
    let containers = open(store)?;
    check_signal(args)?;
    let cmd = monitor_command(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        if c.refresh()?.status.is_active() {
            stop_one(c, args)?;
        }
        monitor::start(c, &cmd).map(drop)
    })
}

pub fn kill(store: &Store, args: &KillArgs) -> Result<i32> {
    let containers = open(store)?;
    let sig = parse_signal(&args.signal).map_err(report)?;
    // No container lock: a signal must get through while a stop waits.
    for_each(&containers, &args.containers, |c| {
        strata_containers::kill(c, sig).map(drop)
    })
}

/// Stops a running container with its own signal and timeout (`compose
/// down` and a recreate), under its lock.
pub fn stop_container(c: &Container) -> std::result::Result<(), ContainerError> {
    let _lock = c.lock()?;
    if !c.refresh()?.status.is_active() {
        return Ok(());
    }
    let name = c.config.stop_signal();
    let time = c.config.stop_timeout();
    match strata_containers::stop(c, parse_signal(name)?, Duration::from_secs(time)) {
        // It ended on its own between the look and the signal.
        Err(ContainerError::NotRunning(_)) | Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}
