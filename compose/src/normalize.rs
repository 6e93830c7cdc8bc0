//! The last stage: relative paths made absolute, defaults compose adds (the
//! `default` network, resource names `PROJECT_KEY`, `dockerfile`), env_file
//! contents and bare variables resolved into `environment`, text cast where
//! a number or boolean is meant, durations printed as compose prints them.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::error::LoadError;
use crate::{dotenv, duration};

fn is_remote(ctx: &str) -> bool {
    [
        "http://",
        "https://",
        "git://",
        "git@",
        "ssh://",
        "github.com/",
    ]
    .iter()
    .any(|p| ctx.starts_with(p))
        || ctx.contains("://")
}

fn absolute(base: &Path, p: &str, env: &IndexMap<String, String>) -> String {
    let expanded: PathBuf = if p == "~" || p.starts_with("~/") {
        let home = env.get("HOME").cloned().unwrap_or_default();
        PathBuf::from(home).join(p.trim_start_matches('~').trim_start_matches('/'))
    } else {
        base.join(p)
    };
    clean(&expanded).to_string_lossy().into_owned()
}

/// `a/./b/../c` → `a/c`, without touching the filesystem (as Go's filepath.Clean).
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Makes one file's relative paths absolute against `base` (the project
/// directory, or an included/extended file's own).
pub fn resolve_paths(doc: &mut Value, base: &Path, env: &IndexMap<String, String>) {
    if let Some(services) = doc.get_mut("services").and_then(Value::as_object_mut) {
        for svc in services.values_mut() {
            if let Some(ctx) = svc.pointer_mut("/build/context")
                && let Some(s) = ctx.as_str()
                && !is_remote(s)
            {
                *ctx = json!(absolute(base, s, env));
            }
            if let Some(Value::Array(files)) = svc.get_mut("env_file") {
                for f in files {
                    if let Some(p) = f.get("path").and_then(Value::as_str).map(String::from) {
                        f["path"] = json!(absolute(base, &p, env));
                    }
                }
            }
            if let Some(Value::Array(vols)) = svc.get_mut("volumes") {
                for v in vols {
                    if v.get("type").and_then(Value::as_str) == Some("bind")
                        && let Some(src) = v.get("source").and_then(Value::as_str).map(String::from)
                    {
                        v["source"] = json!(absolute(base, &src, env));
                    }
                }
            }
            if let Some(ext) = svc.get_mut("extends").and_then(Value::as_object_mut)
                && let Some(f) = ext.get("file").and_then(Value::as_str).map(String::from)
            {
                ext.insert("file".into(), json!(absolute(base, &f, env)));
            }
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(m) = doc.get_mut(kind).and_then(Value::as_object_mut) {
            for v in m.values_mut() {
                if let Some(f) = v.get("file").and_then(Value::as_str).map(String::from) {
                    v["file"] = json!(absolute(base, &f, env));
                }
            }
        }
    }
}

fn cast_int(v: &mut Value) {
    if let Some(i) = v.as_str().and_then(|s| s.trim().parse::<i64>().ok()) {
        *v = json!(i);
    }
}

fn cast_bool(v: &mut Value) {
    if let Some(s) = v.as_str() {
        match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" => *v = json!(true),
            "false" | "no" | "n" | "off" => *v = json!(false),
            _ => {}
        }
    }
}

fn fix_duration(v: &mut Value, path: &str) -> Result<(), LoadError> {
    if let Some(s) = v.as_str() {
        let d = duration::parse(s)
            .ok_or_else(|| LoadError::new(format!("invalid duration {s:?}")).at_path(path))?;
        *v = json!(d.to_string());
    }
    Ok(())
}

pub fn finish(
    doc: &mut Value,
    project: &str,
    env: &IndexMap<String, String>,
    project_dir: &Path,
    consistency: bool,
) -> Result<(), LoadError> {
    default_build_context(doc, project_dir);
    let mut uses_default = false;
    let mut names: Vec<String> = Vec::new();
    if let Some(services) = doc.get_mut("services").and_then(Value::as_object_mut) {
        names = services.keys().cloned().collect();
        for (name, svc) in services.iter_mut() {
            let Some(s) = svc.as_object_mut() else {
                continue;
            };
            service(s, name, env)?;
            let network_mode_set = s.contains_key("network_mode");
            if !network_mode_set && !s.contains_key("networks") {
                s.insert("networks".into(), json!({"default": null}));
            }
            if s.get("networks").and_then(|n| n.get("default")).is_some() {
                uses_default = true;
            }
        }
    }
    let top = doc
        .as_object_mut()
        .ok_or_else(|| LoadError::new("the project is not a mapping"))?;
    if uses_default {
        let nets = top.entry("networks").or_insert_with(|| json!({}));
        if let Some(n) = nets.as_object_mut() {
            n.entry("default").or_insert_with(|| json!({}));
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        let Some(Value::Object(m)) = top.get_mut(kind) else {
            continue;
        };
        for (key, v) in m.iter_mut() {
            let Some(o) = v.as_object_mut() else { continue };
            if let Some(ext) = o.get_mut("external") {
                cast_bool(ext);
            }
            if let Some(i) = o.get_mut("internal") {
                cast_bool(i);
            }
            // The legacy `external: {name: N}` is `external: true, name: N`.
            if let Some(Value::Object(ext)) = o.get("external").cloned() {
                if let Some(n) = ext.get("name") {
                    o.insert("name".into(), n.clone());
                }
                o.insert("external".into(), json!(true));
            }
            let external = o.get("external") == Some(&json!(true));
            if !o.contains_key("name") {
                let n = if external {
                    key.clone()
                } else {
                    format!("{project}_{key}")
                };
                o.insert("name".into(), json!(n));
            }
            if kind == "networks" && !external {
                o.entry("ipam").or_insert_with(|| json!({}));
            }
        }
    }
    // Every service has something to run, and every service it needs is one
    // of the project (compose-go's consistency check).
    if let Some(Value::Object(services)) = top.get("services")
        && consistency
    {
        for (name, svc) in services {
            if svc.get("image").is_none()
                && svc.get("build").is_none()
                && svc.get("provider").is_none()
            {
                return Err(LoadError::new(format!(
                    "service {name:?} has neither an image nor a build context specified: invalid compose project"
                ))
                .at_path(format!("services.{name}")));
            }
            for dep in crate::order::dependencies(svc) {
                let optional = svc
                    .get("depends_on")
                    .and_then(|d| d.get(&dep))
                    .and_then(|d| d.get("required"))
                    == Some(&json!(false));
                if !names.contains(&dep) && !optional {
                    return Err(LoadError::new(format!(
                        "service {name:?} depends on undefined service {dep:?}: invalid compose project"
                    ))
                    .at_path(format!("services.{name}")));
                }
            }
            for (kind, used) in references(svc) {
                let declared = top.get(kind.plural()).and_then(|m| m.get(&used)).is_some();
                if !declared {
                    return Err(LoadError::new(format!(
                        "service {name:?} refers to undefined {} {used}: invalid compose project",
                        kind.singular()
                    ))
                    .at_path(format!("services.{name}.{}", kind.plural())));
                }
            }
        }
        crate::order::check_cycles(services)?;
    }
    Ok(())
}

fn service(
    s: &mut Map<String, Value>,
    name: &str,
    env: &IndexMap<String, String>,
) -> Result<(), LoadError> {
    let at = |f: &str| format!("services.{name}.{f}");
    // env_file contents first, `environment` over them (docker compose's order).
    let mut environment: Map<String, Value> = Map::new();
    if let Some(Value::Array(files)) = s.get("env_file") {
        for f in files {
            let Some(path) = f.get("path").and_then(Value::as_str) else {
                continue;
            };
            let required = f.get("required").and_then(Value::as_bool).unwrap_or(true);
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(_) if !required => continue,
                Err(e) => {
                    return Err(LoadError::new(format!("env file {path} not found: {e}"))
                        .at_path(at("env_file")));
                }
            };
            let lookup = |k: &str| env.get(k).cloned();
            let vars = if f.get("format").and_then(Value::as_str) == Some("raw") {
                raw_env(&text)
            } else {
                dotenv::read(&text, &lookup)
                    .map_err(|e| LoadError::new(e.to_string()).in_file(path))?
            };
            for (k, v) in vars {
                environment.insert(k, json!(v));
            }
        }
    }
    if let Some(Value::Object(e)) = s.get("environment") {
        for (k, v) in e {
            environment.insert(k.clone(), v.clone());
        }
    }
    resolve_bare(&mut environment, env);
    if !environment.is_empty() {
        s.insert("environment".into(), Value::Object(environment));
    }
    if let Some(Value::Object(b)) = s.get_mut("build")
        && !b.contains_key("dockerfile")
        && !b.contains_key("dockerfile_inline")
    {
        b.insert("dockerfile".into(), json!("Dockerfile"));
    }
    for f in [
        "scale",
        "cpu_count",
        "pids_limit",
        "oom_score_adj",
        "mem_swappiness",
    ] {
        if let Some(v) = s.get_mut(f) {
            cast_int(v);
        }
    }
    if let Some(v) = s.get_mut("deploy").and_then(|d| d.get_mut("replicas")) {
        cast_int(v);
    }
    for f in [
        "init",
        "read_only",
        "privileged",
        "tty",
        "stdin_open",
        "oom_kill_disable",
    ] {
        if let Some(v) = s.get_mut(f) {
            cast_bool(v);
        }
    }
    if let Some(Value::Array(ports)) = s.get_mut("ports") {
        for p in ports {
            if let Some(t) = p.get_mut("target") {
                cast_int(t);
            }
        }
    }
    if let Some(Value::Object(deps)) = s.get_mut("depends_on") {
        for d in deps.values_mut() {
            for f in ["required", "restart"] {
                if let Some(v) = d.get_mut(f) {
                    cast_bool(v);
                }
            }
        }
    }
    if let Some(Value::Object(hc)) = s.get_mut("healthcheck") {
        for f in ["interval", "timeout", "start_period", "start_interval"] {
            if let Some(v) = hc.get_mut(f) {
                fix_duration(v, &at(&format!("healthcheck.{f}")))?;
            }
        }
        if let Some(v) = hc.get_mut("retries") {
            cast_int(v);
        }
        if let Some(v) = hc.get_mut("disable") {
            cast_bool(v);
        }
    }
    if let Some(v) = s.get_mut("stop_grace_period") {
        fix_duration(v, &at("stop_grace_period"))?;
    }
    Ok(())
}

fn resolve_bare(environment: &mut Map<String, Value>, env: &IndexMap<String, String>) {
    for (k, v) in environment.iter_mut() {
        if v.is_null()
            && let Some(val) = env.get(k)
        {
            *v = json!(val);
        }
    }
}

/// `environment: [NAME]` entries given their value from `env`, where it has one.
pub fn resolve_bare_environment(doc: &mut Value, env: &IndexMap<String, String>) {
    if let Some(services) = doc.get_mut("services").and_then(Value::as_object_mut) {
        for svc in services.values_mut() {
            if let Some(Value::Object(e)) = svc.get_mut("environment") {
                resolve_bare(e, env);
            }
        }
    }
}

/// `format: raw`: `KEY=VALUE` lines taken as written (no quotes removed, no
/// interpolation); blank lines and `#` comments skipped.
fn raw_env(text: &str) -> IndexMap<String, String> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Resource {
    Network,
    Volume,
    Secret,
    Config,
}

impl Resource {
    fn plural(self) -> &'static str {
        match self {
            Resource::Network => "networks",
            Resource::Volume => "volumes",
            Resource::Secret => "secrets",
            Resource::Config => "configs",
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Resource::Network => "network",
            Resource::Volume => "volume",
            Resource::Secret => "secret",
            Resource::Config => "config",
        }
    }
}

/// The top-level resources a service names: its networks, named volumes,
/// secrets and configs.
fn references(svc: &Value) -> Vec<(Resource, String)> {
    let mut out = Vec::new();
    if let Some(Value::Object(nets)) = svc.get("networks") {
        out.extend(nets.keys().map(|n| (Resource::Network, n.clone())));
    }
    for v in svc
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if v.get("type").and_then(Value::as_str) == Some("volume")
            && let Some(src) = v.get("source").and_then(Value::as_str)
        {
            out.push((Resource::Volume, src.to_string()));
        }
    }
    for (kind, field) in [(Resource::Secret, "secrets"), (Resource::Config, "configs")] {
        for r in svc
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(src) = r.get("source").and_then(Value::as_str) {
                out.push((kind, src.to_string()));
            }
        }
    }
    out
}

/// A build without a context builds its project's directory, whichever file
/// (an extended one too) the build came from: compose-go's rule. An included
/// project is a project of its own, with its own directory.
pub fn default_build_context(doc: &mut Value, project_dir: &Path) {
    if let Some(services) = doc.get_mut("services").and_then(Value::as_object_mut) {
        for svc in services.values_mut() {
            if let Some(Value::Object(b)) = svc.get_mut("build")
                && !b.contains_key("context")
            {
                b.insert("context".into(), json!(project_dir.to_string_lossy()));
            }
        }
    }
}
