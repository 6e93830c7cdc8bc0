//! `strata compose up` without -d: once the project is up, every attached
//! container's output is relayed with docker compose's `NAME | ` prefix
//! (coloured per container on a terminal) until they have all exited.
//! A first SIGINT/SIGTERM stops the project's containers gracefully (their
//! stop signal, then SIGKILL after their grace period), a second kills them
//! at once. `--abort-on-container-exit` stops them all as soon as one
//! exits; the exit status is then the first exited container's code, or
//! with `--exit-code-from SVC` that service's (143 when the stop ended it),
//! as docker compose's printer decides it. `--abort-on-container-failure`
//! lets clean exits pass and aborts on the first failure, with its code.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use miette::{IntoDiagnostic, Result};
use strata_containers::log::read_from;
use strata_containers::{Container, Status, parse_signal};
use strata_executor::Signal;

use super::labels;
use crate::commands::containers::{print_with_prefix, report};

/// docker compose's palette for prefixes (formatter/colors.go's order).
const COLOURS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

/// What to attach to and when to stop.
pub struct Attach<'a> {
    pub project: &'a str,
    /// The containers whose output is shown and whose exits are watched,
    /// each with where in its log to begin.
    pub attached: Vec<(Container, u64)>,
    /// Every container an abort or an interrupt stops, in start order.
    pub all: Vec<Container>,
    pub cascade: Cascade,
    pub exit_code_from: Option<&'a str>,
}

/// When one attached container's exit stops the others.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cascade {
    Never,
    /// `--abort-on-container-exit` (and `--exit-code-from`).
    OnExit,
    /// `--abort-on-container-failure`: on a non-zero exit.
    OnFailure,
}

struct Stream {
    container: Container,
    /// The name without the project, as the prefix and exit lines show it.
    name: String,
    prefix: String,
    offset: u64,
    exited: bool,
}

/// A graceful stop in progress: each container's SIGKILL deadline.
struct Stopping {
    deadlines: Vec<(Container, Instant)>,
    /// Every container signalled, dependents first.
    signalled: Vec<String>,
}

pub fn run(a: Attach) -> Result<i32> {
    // Blocked before anything else, so a Ctrl-C now is ours to handle.
    strata_executor::block_forwarded_signals().into_diagnostic()?;
    let mut streams = streams(a.project, &a.attached);
    let names: Vec<&str> = streams.iter().map(|s| s.name.as_str()).collect();
    println!("Attaching to {}", names.join(", "));
    let mut exit_from = a.exit_code_from.map(str::to_owned);
    let mut exit_code = 0;
    let mut aborting = false;
    let mut interrupted: Option<Signal> = None;
    let mut stopping: Option<Stopping> = None;
    loop {
        // States before logs: an exit seen here has all its lines on disk.
        let states: Vec<_> = streams
            .iter()
            .map(|s| s.container.refresh().map_err(report))
            .collect::<Result<_>>()?;
        for s in streams.iter_mut() {
            relay(s)?;
        }
        for (s, state) in streams.iter_mut().zip(&states) {
            if s.exited || state.status != Status::Exited {
                continue;
            }
            s.exited = true;
            let code = state.exit_code.unwrap_or(0);
            let service = labels::service_of(&s.container).to_owned();
            if !aborting {
                println!("{} exited with code {code}", s.name);
            }
            let abort = match a.cascade {
                Cascade::Never => false,
                Cascade::OnExit => true,
                Cascade::OnFailure => code != 0,
            };
            if abort {
                if !aborting {
                    aborting = true;
                    println!("Aborting on container exit...");
                    stopping = Some(stop_gracefully(&a.all)?);
                }
                exit_from.get_or_insert(service.clone());
            }
            if exit_from.as_deref() == Some(service.as_str()) {
                exit_code = code;
            }
        }
        if streams.iter().all(|s| s.exited) && stopping_done(&a.all, stopping.as_ref())? {
            break;
        }
        if let Some(st) = &mut stopping {
            kill_overdue(st);
        }
        match strata_executor::next_signal(100).into_diagnostic()? {
            Some(sig) if sig == Signal::INT || sig == Signal::TERM => {
                if interrupted.is_none() {
                    interrupted = Some(sig);
                    aborting = true;
                    eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
                    if stopping.is_none() {
                        stopping = Some(stop_gracefully(&a.all)?);
                    }
                } else {
                    eprintln!("Killing...");
                    kill_all(&a.all);
                }
            }
            _ => {}
        }
    }
    for name in stopping.iter().flat_map(|s| &s.signalled) {
        eprintln!(" Container {name}  Stopped");
    }
    match interrupted {
        Some(sig) => Ok(128 + sig.as_raw()),
        None => Ok(exit_code),
    }
}

fn streams(project: &str, attached: &[(Container, u64)]) -> Vec<Stream> {
    let strip = format!("{project}-");
    let names: Vec<String> = attached
        .iter()
        .map(|(c, _)| {
            let n = &c.config.name;
            n.strip_prefix(&strip).unwrap_or(n).to_owned()
        })
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let colour = std::io::stdout().is_terminal();
    attached
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, ((c, offset), name))| {
            let plain = format!("{name:width$} | ");
            let prefix = if colour {
                format!("\x1b[{}m{plain}\x1b[0m", COLOURS[i % COLOURS.len()])
            } else {
                plain
            };
            Stream {
                container: c.clone(),
                name,
                prefix,
                offset: *offset,
                exited: false,
            }
        })
        .collect()
}

/// Prints the stream's new lines.
fn relay(s: &mut Stream) -> Result<()> {
    let (entries, offset) = read_from(&s.container.log_path(), s.offset).map_err(report)?;
    s.offset = offset;
    for e in &entries {
        print_with_prefix(e, &s.prefix);
    }
    Ok(())
}

/// Each running container gets its stop signal (dependents first); the
/// SIGKILL follows its grace period unless it exits before.
fn stop_gracefully(all: &[Container]) -> Result<Stopping> {
    let mut deadlines = Vec::new();
    let mut signalled = Vec::new();
    for c in all.iter().rev() {
        if !c.refresh().map_err(report)?.status.is_active() {
            continue;
        }
        eprintln!(" Container {}  Stopping", c.config.name);
        let sig = parse_signal(c.config.stop_signal()).map_err(report)?;
        // Gone between the look and the signal: nothing left to stop.
        if strata_containers::kill(c, sig).is_ok() {
            let grace = Duration::from_secs(c.config.stop_timeout());
            deadlines.push((c.clone(), Instant::now() + grace));
            signalled.push(c.config.name.clone());
        }
    }
    Ok(Stopping {
        deadlines,
        signalled,
    })
}

fn kill_overdue(st: &mut Stopping) {
    let now = Instant::now();
    st.deadlines.retain(|(c, deadline)| {
        if now < *deadline {
            return true;
        }
        let _ = strata_containers::kill(c, Signal::KILL);
        false
    });
}

fn kill_all(all: &[Container]) {
    for c in all {
        // One that already exited refuses the signal; that is its end.
        let _ = strata_containers::kill(c, Signal::KILL);
    }
}

/// Whether every container a stop in progress signalled has exited (true
/// when none is in progress).
fn stopping_done(all: &[Container], stopping: Option<&Stopping>) -> Result<bool> {
    if stopping.is_none() {
        return Ok(true);
    }
    for c in all {
        if c.refresh().map_err(report)?.status.is_active() {
            return Ok(false);
        }
    }
    Ok(true)
}
