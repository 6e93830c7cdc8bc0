//! `strata ps [-a] [-q] [--filter KEY=VALUE] [--format json|TEMPLATE]`. Listing
//! also notices containers whose monitor died (see Container::refresh).

use std::collections::BTreeMap;

use miette::{IntoDiagnostic, Result, miette};
use serde_json::json;
use strata_containers::{Container, ContainerState, Status, human_duration};
use strata_store::Store;

use super::ps_template::{Field, Row, Template};
use super::{open, report};
use crate::cli::PsArgs;

pub fn ps(store: &Store, args: &PsArgs) -> Result<i32> {
    let filters = Filters::parse(&args.filters)?;
    let containers = open(store)?;
    let mut rows = Vec::new();
    for c in containers.list().map_err(report)? {
        let state = match c.refresh() {
            Ok(s) => s,
            // Removed while we listed (a --rm container ending).
            Err(strata_containers::ContainerError::NotFound(_)) => continue,
            Err(e) => return Err(report(e)),
        };
        if containers.remove_orphan(&c, &state) {
            continue;
        }
        let shown =
            args.all || filters.has("status") || filters.has("exited") || state.status.is_active();
        if shown && filters.matches(&c, &state) {
            rows.push((c, state));
        }
    }
    if args.quiet {
        for (c, _) in &rows {
            println!("{}", short(c, args.no_trunc));
        }
        return Ok(0);
    }
    match args.format.as_str() {
        "json" => {
            let out: Vec<_> = rows.iter().map(|(c, s)| as_json(c, s)).collect();
            println!("{}", serde_json::to_string_pretty(&out).into_diagnostic()?);
        }
        "table" => {
            let mut table = vec![
                [
                    "CONTAINER ID",
                    "IMAGE",
                    "COMMAND",
                    "CREATED",
                    "STATUS",
                    "NAMES",
                ]
                .map(String::from),
            ];
            for (c, s) in &rows {
                table.push([
                    short(c, args.no_trunc).to_owned(),
                    c.config.image.clone(),
                    clip(&format!("\"{}\"", c.config.spec.args.join(" ")), 22),
                    format!("{} ago", human_duration(c.config.created.elapsed())),
                    status_text(s),
                    c.config.name.clone(),
                ]);
            }
            print_table(&table);
        }
        template => {
            let template = Template::parse(template)?;
            let values: Vec<Row<'_>> = rows
                .iter()
                .map(|(c, s)| Box::new(move |f: &Field| field(c, s, f, args.no_trunc)) as Row<'_>)
                .collect();
            template.print(&values);
        }
    }
    Ok(0)
}

/// A field of a `--format` template, as docker's ps prints it.
/// The command unquoted, as podman's templates give it (040-ps).
fn field(c: &Container, s: &ContainerState, f: &Field, no_trunc: bool) -> String {
    let command = c.config.spec.args.join(" ");
    match f {
        Field::Label(key) => c.config.labels.get(key).cloned().unwrap_or_default(),
        Field::Id => short(c, no_trunc).to_owned(),
        Field::Names => c.config.name.clone(),
        Field::Image => c.config.image.clone(),
        Field::ImageId => c.config.image_digest.to_string(),
        Field::Command if no_trunc => command,
        Field::Command => clip(&command, 22),
        Field::CreatedAt => humantime::format_rfc3339_seconds(c.config.created.0).to_string(),
        Field::RunningFor => format!("{} ago", human_duration(c.config.created.elapsed())),
        Field::Status => status_text(s),
        Field::State => s.status.as_str().to_owned(),
        Field::Labels => c
            .config
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    }
}

fn short(c: &Container, full: bool) -> &str {
    if full { c.id() } else { c.config.short_id() }
}

/// Columns padded to their widest cell, three spaces apart, as docker does.
fn print_table(rows: &[[String; 6]]) {
    let mut widths = [0; 6];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}   ", w = widths[i]));
            }
        }
        println!("{}", line.trim_end());
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// docker's STATUS column: "Up 5 seconds", "Exited (0) 3 minutes ago".
pub fn status_text(s: &ContainerState) -> String {
    let since = |t: &Option<strata_containers::Timestamp>| {
        t.as_ref()
            .map_or_else(String::new, |t| human_duration(t.elapsed()))
    };
    match s.status {
        Status::Created => "Created".to_owned(),
        Status::Running => match &s.health {
            Some(h) => format!("Up {} ({})", since(&s.started_at), h.status.as_str()),
            None => format!("Up {}", since(&s.started_at)),
        },
        Status::Paused => format!("Up {} (Paused)", since(&s.started_at)),
        Status::Exited | Status::Restarting => {
            let code = s.exit_code.map_or("unknown".to_owned(), |c| c.to_string());
            let what = if s.status == Status::Exited {
                "Exited"
            } else {
                "Restarting"
            };
            format!("{what} ({code}) {} ago", since(&s.finished_at))
        }
    }
}

fn as_json(c: &Container, s: &ContainerState) -> serde_json::Value {
    json!({
        "Id": c.id(),
        "Names": [c.config.name],
        "Image": c.config.image,
        "ImageID": c.config.image_digest.to_string(),
        "Command": c.config.spec.args,
        "Created": c.config.created,
        "State": s.status,
        "Status": status_text(s),
        "ExitCode": s.exit_code,
        "Exited": s.status == Status::Exited,
        "Restarts": s.restart_count,
        "Health": s.health.as_ref().map(|h| h.status.as_str()),
        "StartedAt": s.started_at,
        "FinishedAt": s.finished_at,
        "Error": s.error,
        "Pid": s.init.as_ref().map_or(0, |p| p.pid),
        "Labels": c.config.labels,
        "AutoRemove": c.config.auto_remove,
    })
}

/// docker's filter semantics: values of one key are alternatives, distinct
/// keys must all match.
struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    fn parse(given: &[String]) -> Result<Filters> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in given {
            let (k, v) = f
                .split_once('=')
                .ok_or_else(|| miette!("bad filter {f:?}: expected KEY=VALUE"))?;
            match k {
                "status" if Status::parse(v).is_none() => {
                    return Err(miette!(
                        "bad filter {f:?}: status is created, running, paused, restarting or exited"
                    ));
                }
                "exited" if v.parse::<i32>().is_err() => {
                    return Err(miette!("bad filter {f:?}: exited takes an exit code"));
                }
                "status" | "name" | "label" | "id" | "ancestor" | "exited" => {}
                _ => {
                    return Err(miette!(
                        "unknown filter {k:?}: the filters are status, name, label, id, ancestor and exited"
                    ));
                }
            }
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        Ok(Filters(map))
    }

    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn matches(&self, c: &Container, s: &ContainerState) -> bool {
        self.0.iter().all(|(key, values)| {
            values.iter().any(|v| match key.as_str() {
                "status" => s.status.as_str() == v,
                // docker: exited containers whose code is this.
                "exited" => {
                    s.status == Status::Exited
                        && s.exit_code.map(|c| c.to_string()) == Some(v.clone())
                }
                "name" => c.config.name.contains(v.as_str()),
                "id" => c.id().starts_with(v.as_str()),
                "ancestor" => {
                    c.config.image == *v
                        || c.config.image_digest.to_string() == *v
                        || c.config.image_digest.hex() == *v
                }
                "label" => match v.split_once('=') {
                    Some((k, want)) => c.config.labels.get(k).is_some_and(|have| have == want),
                    None => c.config.labels.contains_key(v.as_str()),
                },
                _ => false,
            })
        })
    }
}
