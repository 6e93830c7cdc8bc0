//! `strata stop`, `restart`, `kill`.

use std::time::Duration;

use miette::Result;
use strata_containers::{Container, ContainerError, Stopped, monitor, parse_signal};
use strata_store::Store;

use super::{for_each, monitor_command, open, report};
use crate::cli::{KillArgs, StopArgs};

pub fn stop(store: &Store, args: &StopArgs) -> Result<i32> {
    let containers = open(store)?;
    let sig = parse_signal(&args.signal).map_err(report)?;
    for_each(&containers, &args.containers, |c| {
        {
            let _lock = c.lock()?;
            stop_one(c, sig, args)?;
        }
        // The monitor of a --rm container removes it once we let go.
        if c.config.auto_remove {
            strata_containers::wait_removed(c);
        }
        Ok(())
    })
}

fn stop_one(
    c: &Container,
    sig: strata_executor::Signal,
    args: &StopArgs,
) -> std::result::Result<(), ContainerError> {
    let (_, how) = strata_containers::stop(c, sig, Duration::from_secs(args.time))?;
    if how == Stopped::Killed {
        eprintln!(
            "warning: StopSignal {} failed to stop container {} in {} seconds, resorting to SIGKILL",
            args.signal, c.config.name, args.time
        );
    }
    Ok(())
}

pub fn restart(store: &Store, args: &StopArgs) -> Result<i32> {
    let containers = open(store)?;
    let sig = parse_signal(&args.signal).map_err(report)?;
    let cmd = monitor_command(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        if c.refresh()?.status.is_active() {
            stop_one(c, sig, args)?;
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
