//! `strata compose ps [-a] [--format json]`: the project's containers, as
//! their labels name them. JSON is one object a line, as docker compose
//! v2 prints it.

use miette::{IntoDiagnostic, Result};
use serde_json::json;
use strata_containers::Status;
use strata_store::Store;

use super::labels;
use crate::cli::{ComposeArgs, ComposePsArgs, ListFormat};
use crate::commands::containers::{self as ctr, report, status_text};

pub fn run(store: &Store, args: &ComposeArgs, ps: &ComposePsArgs) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    scope.check_services(&ps.services)?;
    let containers = ctr::open(store)?;
    let mut rows = Vec::new();
    for c in labels::containers_of(&containers, &scope.name)? {
        let service = labels::service_of(&c).to_owned();
        if !ps.services.is_empty() && !ps.services.contains(&service) {
            continue;
        }
        let s = c.refresh().map_err(report)?;
        if !ps.all
            && !matches!(
                s.status,
                Status::Running | Status::Paused | Status::Restarting
            )
        {
            continue;
        }
        rows.push(json!({
            "ID": c.id(),
            "Name": c.config.name,
            "Image": c.config.image,
            "Command": c.config.spec.args.join(" "),
            "Project": scope.name,
            "Service": service,
            "State": s.status,
            "Health": s.health.as_ref().map_or("", |h| h.status.as_str()),
            "ExitCode": s.exit_code.unwrap_or(0),
            "Status": status_text(&s),
            "Labels": c.config.labels,
        }));
    }
    match ps.format {
        ListFormat::Json => {
            for r in &rows {
                println!("{}", serde_json::to_string(r).into_diagnostic()?);
            }
        }
        ListFormat::Table => {
            let cell = |r: &serde_json::Value, k: &str| match &r[k] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let table: Vec<[String; 4]> = rows
                .iter()
                .map(|r| {
                    [
                        cell(r, "Name"),
                        cell(r, "Image"),
                        cell(r, "Service"),
                        cell(r, "Status"),
                    ]
                })
                .collect();
            let header = ["NAME", "IMAGE", "SERVICE", "STATUS"].map(str::to_owned);
            let mut widths = header.clone().map(|h| h.len());
            for row in &table {
                for (w, c) in widths.iter_mut().zip(row) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for row in std::iter::once(&header).chain(&table) {
                let line: Vec<String> = row
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| format!("{c:w$}"))
                    .collect();
                println!("{}", line.join("   ").trim_end());
            }
        }
    }
    Ok(0)
}
