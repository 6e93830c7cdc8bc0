//! `strata top CONTAINER [ps options]` and `strata container prune`.
//!
//! top runs the host's `ps` (never a binary of the image, which could be
//! anything: podman's "top does not use nsenter from image") and keeps the
//! header and the rows of the container's processes, found by its pid
//! namespace, as docker's top does.

use std::io::BufRead;

use miette::{Result, miette};
use strata_containers::{Container, Status};
use strata_store::Store;

use super::{open, report};
use crate::cli::{ContainerCmdArgs, ContainerCommand, PruneArgs, TopArgs};

pub fn top(store: &Store, args: &TopArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = containers.find(&args.container).map_err(report)?;
    let pids = strata_containers::processes(&c).map_err(report)?;
    let options: Vec<String> = if args.ps_options.is_empty() {
        vec!["-ef".to_owned()]
    } else {
        args.ps_options.clone()
    };
    let out = std::process::Command::new("ps")
        .args(&options)
        .output()
        .map_err(|e| miette!("run the host's ps: {e}"))?;
    if !out.status.success() {
        return Err(miette!(
            "ps {}: {}",
            options.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let Some(column) = header.split_whitespace().position(|h| h == "PID") else {
        return Err(miette!(
            "ps {}: its output has no PID column to find the container's processes by",
            options.join(" ")
        ));
    };
    println!("{header}");
    for line in lines {
        let pid = line
            .split_whitespace()
            .nth(column)
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| pids.binary_search(&p).is_ok()) {
            println!("{line}");
        }
    }
    Ok(0)
}

pub fn container(store: &Store, args: &ContainerCmdArgs) -> Result<i32> {
    match &args.command {
        ContainerCommand::Prune(a) => prune(store, a),
    }
}

/// Removes created and exited containers that match the filters; prints
/// their ids.
fn prune(store: &Store, args: &PruneArgs) -> Result<i32> {
    let filters = args
        .filters
        .iter()
        .map(|f| Filter::parse(f))
        .collect::<Result<Vec<_>>>()?;
    if !args.force {
        eprint!(
            "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
        );
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(0);
        }
    }
    let containers = open(store)?;
    let mut code = 0;
    for c in containers.list().map_err(report)? {
        if !filters.iter().all(|f| f.matches(&c)) {
            continue;
        }
        let Ok(_lock) = c.lock() else { continue };
        // Checked under the lock: a start meanwhile keeps it.
        match c.refresh() {
            Ok(s) if matches!(s.status, Status::Created | Status::Exited) => {}
            _ => continue,
        }
        match strata_containers::remove(&containers, &c, false) {
            Ok(()) => println!("{}", c.id()),
            Err(e) => {
                eprintln!("error: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}

/// docker's prune filters.
enum Filter {
    Label {
        key: String,
        value: Option<String>,
        negate: bool,
    },
    Until(std::time::SystemTime),
}

impl Filter {
    fn parse(text: &str) -> Result<Filter> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| miette!("bad filter {text:?}: expected KEY=VALUE"))?;
        let label = |negate: bool| {
            let (k, v) = match value.split_once('=') {
                Some((k, v)) => (k, Some(v.to_owned())),
                None => (value, None),
            };
            Filter::Label {
                key: k.to_owned(),
                value: v,
                negate,
            }
        };
        match key {
            "label" => Ok(label(false)),
            "label!" => Ok(label(true)),
            "until" => crate::cli::parse_since(value)
                .map(Filter::Until)
                .map_err(|e| miette!("bad filter {text:?}: {e}")),
            _ => Err(miette!(
                "unknown filter {key:?}: container prune takes label, label! and until"
            )),
        }
    }

    fn matches(&self, c: &Container) -> bool {
        match self {
            Filter::Label { key, value, negate } => {
                let has = match (c.config.labels.get(key), value) {
                    (Some(have), Some(want)) => have == want,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                has != *negate
            }
            Filter::Until(t) => c.config.created.0 < *t,
        }
    }
}
