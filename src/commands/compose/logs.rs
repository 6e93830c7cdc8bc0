//! `strata compose logs [SERVICE...]`: every container's log, merged in
//! time order, each line prefixed as docker compose prefixes it: the
//! container's name without the project (`web-1`), padded to the longest,
//! then ` | `.

use miette::Result;
use strata_containers::log::{LogEntry, read_from};
use strata_store::Store;

use super::labels;
use crate::cli::{ComposeArgs, ComposeLogsArgs};
use crate::commands::containers::{self as ctr, print_with_prefix, report};

pub fn run(store: &Store, args: &ComposeArgs, logs: &ComposeLogsArgs) -> Result<i32> {
    let Some((project, _)) = super::project(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    for s in &logs.services {
        if !project.services.contains_key(s) {
            return Err(miette::miette!("no such service: {s}"));
        }
    }
    let containers = ctr::open(store)?;
    let mut streams: Vec<(String, Vec<LogEntry>)> = Vec::new();
    for c in labels::containers_of(&containers, &project.name)? {
        let service = labels::service_of(&c);
        if !logs.services.is_empty() && !logs.services.iter().any(|s| s == service) {
            continue;
        }
        let prefix = c.config.name.strip_prefix(&format!("{}-", project.name));
        let prefix = prefix.unwrap_or(&c.config.name).to_owned();
        let (entries, _) = read_from(&c.log_path(), 0).map_err(report)?;
        streams.push((prefix, entries));
    }
    let width = streams
        .iter()
        .map(|(p, _)| p.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<(String, &LogEntry)> = streams
        .iter()
        .flat_map(|(p, es)| es.iter().map(move |e| (format!("{p:width$} | "), e)))
        .collect();
    // Stable: one container's lines keep their order whatever the clock says.
    lines.sort_by_key(|(_, e)| humantime::parse_rfc3339(&e.time).ok());
    for (prefix, e) in lines {
        print_with_prefix(e, &prefix);
    }
    Ok(0)
}
