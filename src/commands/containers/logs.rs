//! `strata logs [-f] [--tail N] [--since T] [--until T] [--timestamps]`: stdout lines to stdout,
//! stderr lines to stderr, as the process wrote them.

use miette::Result;
use strata_containers::log::{LogEntry, read_from, tail};
use strata_store::Store;

use super::start::print_with_prefix;
use super::{open, report};
use crate::cli::LogsArgs;

pub fn logs(store: &Store, args: &LogsArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = containers.find(&args.container).map_err(report)?;
    let print = |e: &LogEntry| {
        let prefix = if args.timestamps {
            format!("{} ", e.time)
        } else {
            String::new()
        };
        print_with_prefix(e, &prefix);
    };
    let (entries, offset) = read_from(&c.log_path(), 0).map_err(report)?;
    let recent = |e: &LogEntry| {
        let t = humantime::parse_rfc3339(&e.time).ok();
        args.since.is_none_or(|since| t.is_some_and(|t| t >= since))
            && args.until.is_none_or(|until| t.is_some_and(|t| t < until))
    };
    let entries: Vec<LogEntry> = entries.into_iter().filter(|e| recent(e)).collect();
    let entries = match args.tail {
        Some(n) => tail(entries, n),
        None => entries,
    };
    entries.iter().for_each(print);
    // Following past --until would print nothing more.
    let ended = args
        .until
        .is_some_and(|until| std::time::SystemTime::now() >= until);
    if args.follow && !ended {
        let pause = || std::thread::sleep(std::time::Duration::from_millis(100));
        let print_recent = |e: &LogEntry| {
            if recent(e) {
                print(e);
            }
        };
        strata_containers::follow(&c, offset, print_recent, pause).map_err(report)?;
    }
    Ok(0)
}
