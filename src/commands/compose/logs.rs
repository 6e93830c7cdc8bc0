//! `strata compose logs [-f] [--tail N] [SERVICE...]`: every container's
//! log, merged in time order, each line prefixed as docker compose
//! prefixes it: the container's name without the project (`web-1`),
//! padded to the longest, then ` | `. With -f, new lines are printed as
//! they come until no container runs.

use std::time::Duration;

use miette::Result;
use strata_containers::Container;
use strata_containers::log::{LogEntry, read_from, tail};
use strata_store::Store;

use super::labels;
use crate::cli::{ComposeArgs, ComposeLogsArgs};
use crate::commands::containers::{self as ctr, print_with_prefix, report};

struct Stream {
    container: Container,
    prefix: String,
    offset: u64,
}

pub fn run(store: &Store, args: &ComposeArgs, logs: &ComposeLogsArgs) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    scope.check_services(&logs.services)?;
    let containers = ctr::open(store)?;
    let mut streams: Vec<Stream> = Vec::new();
    let mut first: Vec<(usize, LogEntry)> = Vec::new();
    for c in labels::containers_of(&containers, &scope.name)? {
        let service = labels::service_of(&c);
        if !logs.services.is_empty() && !logs.services.iter().any(|s| s == service) {
            continue;
        }
        let prefix = c.config.name.strip_prefix(&format!("{}-", scope.name));
        let prefix = prefix.unwrap_or(&c.config.name).to_owned();
        let (entries, offset) = read_from(&c.log_path(), 0).map_err(report)?;
        let entries = match logs.tail {
            Some(n) => tail(entries, n),
            None => entries,
        };
        first.extend(entries.into_iter().map(|e| (streams.len(), e)));
        streams.push(Stream {
            container: c,
            prefix,
            offset,
        });
    }
    let width = streams
        .iter()
        .map(|s| s.prefix.chars().count())
        .max()
        .unwrap_or(0);
    for s in &mut streams {
        s.prefix = format!("{:width$} | ", s.prefix);
    }
    // Stable: one container's lines keep their order whatever the clock says.
    first.sort_by_key(|(_, e)| humantime::parse_rfc3339(&e.time).ok());
    for (i, e) in &first {
        print_with_prefix(e, &streams[*i].prefix);
    }
    if logs.follow {
        follow(&mut streams)?;
    }
    Ok(0)
}

/// New lines of every stream, until none of their containers runs (read
/// once more after that, so the last lines are not lost).
fn follow(streams: &mut [Stream]) -> Result<()> {
    loop {
        let mut any_active = false;
        for s in streams.iter() {
            any_active |= s.container.refresh().map_err(report)?.status.is_active();
        }
        for s in streams.iter_mut() {
            let (entries, offset) = read_from(&s.container.log_path(), s.offset).map_err(report)?;
            s.offset = offset;
            for e in &entries {
                print_with_prefix(e, &s.prefix);
            }
        }
        if !any_active {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
