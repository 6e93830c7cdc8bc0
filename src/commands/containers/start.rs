//! `strata start [-a]`, and the attached half of `run --name`: start under
//! the monitor, then relay the container's output from its log until it
//! exits (signals sent to strata meanwhile are forwarded to it).

use std::io::Write;

use miette::{IntoDiagnostic, Result, miette};
use strata_containers::log::{LogEntry, Stream, end_offset};
use strata_containers::{Container, Containers, attach_lock, follow, monitor};
use strata_store::Store;

use super::{for_each, monitor_command, open, report};
use crate::cli::StartArgs;

pub fn start(store: &Store, args: &StartArgs) -> Result<i32> {
    let containers = open(store)?;
    if args.attach {
        let [name] = args.containers.as_slice() else {
            return Err(miette!("start -a takes one container"));
        };
        let c = containers.find(name).map_err(report)?;
        return attached(store, &containers, &c);
    }
    let cmd = monitor_command(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        monitor::start(c, &cmd).map(drop)
    })
}

/// Starts `c` and follows it; returns its exit code.
pub fn attached(store: &Store, containers: &Containers, c: &Container) -> Result<i32> {
    let cmd = monitor_command(store)?;
    // Taken before the start: a --rm container waits for us to read its
    // exit code before it removes itself.
    let attached = attach_lock(c).map_err(report)?;
    let offset = end_offset(&c.log_path());
    let started = c.lock().and_then(|_lock| monitor::start(c, &cmd));
    if let Err(e) = started {
        if c.config.auto_remove {
            let _ = containers.remove(c);
        }
        return Err(report(e));
    }
    // After the monitor started, so it does not inherit the blocked mask.
    strata_executor::block_forwarded_signals().into_diagnostic()?;
    let forward = || {
        if let Ok(Some(sig)) = strata_executor::next_signal(50)
            && sig != strata_executor::Signal::CHILD
        {
            let _ = strata_containers::kill(c, sig);
        }
    };
    let state = follow(c, offset, print_entry, forward).map_err(report)?;
    if c.config.auto_remove {
        // Let the monitor remove it, and return once it has, as docker's
        // run --rm does.
        drop(attached);
        strata_containers::wait_removed(c);
    }
    state.exit_code.ok_or_else(|| {
        miette!(
            "container {} ended without an exit code: {}",
            c.config.name,
            state.error.as_deref().unwrap_or("unknown cause")
        )
    })
}

/// A log entry to our stdout or stderr, as the process wrote it.
pub fn print_entry(e: &LogEntry) {
    print_with_prefix(e, "");
}

pub fn print_with_prefix(e: &LogEntry, prefix: &str) {
    let mut line = prefix.as_bytes().to_vec();
    line.extend_from_slice(&e.text);
    if !e.partial {
        line.push(b'\n');
    }
    // A closed pipe downstream (`| head`) is not our failure.
    let _ = match e.stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(&line).and_then(|()| out.flush())
        }
        Stream::Stderr => std::io::stderr().lock().write_all(&line),
    };
}
