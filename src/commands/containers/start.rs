//! `strata start [-a [-i]]`, and the attached half of `run --name`: start
//! under the monitor with us attached from the first byte (see attach.rs)
//! until it exits (signals sent to strata meanwhile are forwarded to it).

use std::io::Write;

use miette::{Result, miette};
use strata_containers::log::{LogEntry, Stream};
use strata_containers::{Container, Containers, attach_lock, monitor};
use strata_store::Store;

use super::attach::Ended;
use super::{for_each, monitor_command, open, report};
use crate::cli::StartArgs;

pub fn start(store: &Store, args: &StartArgs) -> Result<i32> {
    let containers = open(store)?;
    if args.attach {
        let [name] = args.containers.as_slice() else {
            return Err(miette!("start -a takes one container"));
        };
        let c = containers.find(name).map_err(report)?;
        return attached(store, &containers, &c, args.interactive, true);
    }
    let cmd = monitor_command(store)?;
    for_each(&containers, &args.containers, |c| {
        let _lock = c.lock()?;
        monitor::start(c, &cmd).map(drop)
    })
}

/// Starts `c` attached to its monitor (our stdin forwarded with `stdin`);
/// returns its exit code, or 0 if the user detached.
pub fn attached(
    store: &Store,
    containers: &Containers,
    c: &Container,
    stdin: bool,
    sig_proxy: bool,
) -> Result<i32> {
    let cmd = monitor_command(store)?;
    // Taken before the start: a --rm container waits for us to read its
    // exit code before it removes itself.
    let attached = attach_lock(c).map_err(report)?;
    let started = c.lock().and_then(|_lock| monitor::start_attached(c, &cmd));
    let conn = match started {
        Ok((_, conn)) => conn,
        Err(e) => {
            if c.config.auto_remove {
                let _ = containers.remove(c);
            }
            return Err(report(e));
        }
    };
    let keys = super::attach::parse_detach_keys("ctrl-p,ctrl-q")?;
    let ended = super::attach::session(c, conn, stdin && c.config.stdin_open, keys, sig_proxy)?;
    let code = match ended {
        Ended::Exited(code) => code,
        Ended::Detached => return Ok(0),
        Ended::Signalled(sig) => return Ok(128 + sig),
    };
    if c.config.auto_remove {
        // Let the monitor remove it, and return once it has, as docker's
        // run --rm does.
        drop(attached);
        strata_containers::wait_removed(c);
    }
    Ok(code)
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
