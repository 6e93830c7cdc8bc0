//! `strata compose config`: the normalized model, or lists drawn from it.

use std::io::Write;

use miette::IntoDiagnostic;
use serde::Serialize;
use strata_compose::model::Project;

use crate::cli::{ComposeArgs, ComposeConfigArgs, ComposeFormat};

pub fn run(args: &ComposeArgs, c: &ComposeConfigArgs, quiet: bool) -> miette::Result<i32> {
    for (flag, set) in [
        ("--variables", c.variables),
        ("--no-interpolate", c.no_interpolate),
    ] {
        if set && !c.service_names.is_empty() {
            eprintln!("warning: service filtering is not applied when {flag} is set");
        }
    }
    if c.variables {
        let vars = match super::variables(args) {
            Ok(v) => v,
            Err(code) => return Ok(code),
        };
        match c.format {
            ComposeFormat::Json => emit(&format!("{}\n", pretty(&vars)?))?,
            ComposeFormat::Yaml => emit(&strata_compose::variables::to_yaml(&vars))?,
        }
        return Ok(0);
    }
    let loaded = match super::load(args, !c.no_interpolate, !c.no_consistency) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let typed = if c.no_interpolate {
        // The untyped model stands in; only the lists below read it.
        Project::from_json(loaded.model.clone())
            .or_else(|_| Project::from_json(serde_json::json!({"name": loaded.name})))
    } else {
        Project::from_json(loaded.model.clone())
    };
    let mut project = match typed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(super::EXIT_INVALID_PROJECT);
        }
    };
    for name in &c.service_names {
        if loaded.model["services"].get(name).is_none() {
            eprintln!("error: no such service: {name}");
            return Ok(1);
        }
    }
    if !c.service_names.is_empty() && !c.no_interpolate {
        project
            .services
            .retain(|name, _| c.service_names.contains(name));
    }
    if quiet {
        return Ok(0);
    }
    let lines: Option<Vec<String>> = if c.services {
        Some(project.services.keys().cloned().collect())
    } else if c.volumes {
        Some(project.volumes.keys().cloned().collect())
    } else if c.networks {
        Some(project.networks.keys().cloned().collect())
    } else if c.profiles {
        Some(loaded.all_profiles.clone())
    } else if c.models {
        // docker compose prints each entry's `model` (what is pulled), not
        // its key.
        let models = loaded.model.get("models").and_then(|m| m.as_object());
        Some(
            models
                .into_iter()
                .flatten()
                .filter_map(|(_, m)| m.get("model").and_then(|v| v.as_str()))
                .map(str::to_owned)
                .collect(),
        )
    } else if let Some(which) = &c.hash {
        let model = serde_json::to_value(&project).into_diagnostic()?;
        let all: Vec<String> = project.services.keys().cloned().collect();
        let names: Vec<String> = if which.trim() == "*" {
            all
        } else {
            which
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let mut out = Vec::new();
        for name in names {
            let Some(svc) = model["services"].get(&name) else {
                eprintln!("error: no such service: {name}");
                return Ok(1);
            };
            out.push(format!(
                "{name} {}",
                strata_compose::hash::service_hash(svc)
            ));
        }
        Some(out)
    } else if c.images {
        Some(
            project
                .services
                .iter()
                .map(|(name, s)| {
                    s.image
                        .clone()
                        .unwrap_or_else(|| format!("{}-{name}", project.name))
                })
                .collect(),
        )
    } else {
        None
    };
    if let Some(lines) = lines {
        emit(&lines.iter().map(|l| format!("{l}\n")).collect::<String>())?;
        return Ok(0);
    }
    // Not interpolated, values may still be in short syntax (`${PORT}:80`):
    // printed as loaded, not through the typed model.
    let shown = if c.no_interpolate {
        loaded.model.clone()
    } else {
        serde_json::to_value(&project).into_diagnostic()?
    };
    match c.format {
        ComposeFormat::Json => {
            if c.no_interpolate {
                emit(&format!("{}\n", pretty(&shown)?))?;
            } else {
                emit(&format!("{}\n", pretty(&project)?))?;
            }
        }
        ComposeFormat::Yaml => {
            let view = strata_compose::render::yaml_view(&shown);
            if c.no_interpolate {
                emit(&strata_compose::render::yaml_sorted(&view))?;
            } else {
                emit(&strata_compose::render::yaml(&view))?;
            }
        }
    }
    Ok(0)
}

/// Writes the output; a reader that went away (`config | head`) is no
/// error, as for docker compose, rather than a panic.
fn emit(text: &str) -> miette::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        done => done.into_diagnostic(),
    }
}

/// JSON with docker compose's four-space indent.
fn pretty<T: Serialize>(v: &T) -> miette::Result<String> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser).into_diagnostic()?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
