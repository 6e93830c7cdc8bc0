//! `strata compose ls [-a] [-q] [--format json]`: the projects that have
//! containers in this store, found by their labels, each with docker
//! compose's combined status (`exited(1), running(2)`) and the files it
//! was started from. Without -a only running containers count, so a
//! project with none running is not listed.

use std::collections::BTreeMap;

use miette::{IntoDiagnostic, Result};
use serde_json::json;
use strata_containers::Status;
use strata_store::Store;

use super::labels::PROJECT;
use super::origin::CONFIG_FILES;
use crate::cli::{ComposeLsArgs, ListFormat};
use crate::commands::containers::{self as ctr, report};

#[derive(Default)]
struct Found {
    states: BTreeMap<String, usize>,
    config_files: Vec<String>,
}

pub fn run(store: &Store, a: &ComposeLsArgs) -> Result<i32> {
    let containers = ctr::open(store)?;
    let mut projects: BTreeMap<String, Found> = BTreeMap::new();
    for c in containers.list().map_err(report)? {
        let Some(project) = c.config.labels.get(PROJECT) else {
            continue;
        };
        let status = c.refresh().map_err(report)?.status;
        if !a.all && status != Status::Running {
            continue;
        }
        let found = projects.entry(project.clone()).or_default();
        *found.states.entry(state_name(status)).or_default() += 1;
        for f in c.config.labels.get(CONFIG_FILES).into_iter() {
            for file in f.split(',').filter(|f| !f.is_empty()) {
                if !found.config_files.iter().any(|k| k == file) {
                    found.config_files.push(file.to_owned());
                }
            }
        }
    }
    let rows: Vec<serde_json::Value> = projects
        .iter()
        .map(|(name, f)| {
            let status: Vec<String> = f.states.iter().map(|(s, n)| format!("{s}({n})")).collect();
            json!({
                "Name": name,
                "Status": status.join(", "),
                "ConfigFiles": f.config_files.join(","),
            })
        })
        .collect();
    if a.quiet {
        for name in projects.keys() {
            println!("{name}");
        }
        return Ok(0);
    }
    match a.format {
        ListFormat::Json => println!("{}", serde_json::to_string(&rows).into_diagnostic()?),
        ListFormat::Table => {
            let cells: Vec<[String; 3]> = rows
                .iter()
                .map(|r| {
                    ["Name", "Status", "ConfigFiles"]
                        .map(|k| r[k].as_str().unwrap_or_default().to_owned())
                })
                .collect();
            let header = ["NAME", "STATUS", "CONFIG FILES"].map(str::to_owned);
            super::images::print_table(&header, &cells);
        }
    }
    Ok(0)
}

/// The state as docker names it (`running`, `exited`, ...).
fn state_name(s: Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{s:?}").to_lowercase())
}
