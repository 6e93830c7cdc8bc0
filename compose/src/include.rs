//! `include:` (the spec's 14-include.md): each entry is a compose project of
//! its own (its directory, its `.env`), loaded whole and its resources added
//! to the including file; a resource defined on both sides is an error.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::LoadError;
use crate::load::{FileCtx, Options, environment, read_file};
use crate::merge;

pub fn apply(
    doc: &mut Value,
    file: &Path,
    project_dir: &Path,
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Result<(), LoadError> {
    let mut stack = vec![canonical(file)];
    // Standard input has no directory: its includes are relative to the project's.
    let dir = if file == Path::new("-") {
        project_dir.to_path_buf()
    } else {
        file.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    apply_inner(doc, file, &dir, opts, warnings, &mut stack)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn apply_inner(
    doc: &mut Value,
    file: &Path,
    dir: &Path,
    opts: &Options,
    warnings: &mut Vec<String>,
    stack: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let Some(entries) = doc.get("include").and_then(Value::as_array).cloned() else {
        return Ok(());
    };
    let dir = canonical(dir);
    let mut imported = serde_json::json!({});
    for entry in entries {
        let (paths, project_directory, env_files) = match &entry {
            Value::String(p) => (vec![p.clone()], None, Vec::new()),
            Value::Object(o) => {
                let paths = match o.get("path") {
                    Some(Value::String(p)) => vec![p.clone()],
                    Some(Value::Array(ps)) => ps
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                    _ => Vec::new(),
                };
                let env_files = match o.get("env_file") {
                    Some(Value::String(p)) => vec![p.clone()],
                    Some(Value::Array(ps)) => ps
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                    _ => Vec::new(),
                };
                (
                    paths,
                    o.get("project_directory")
                        .and_then(Value::as_str)
                        .map(String::from),
                    env_files,
                )
            }
            _ => continue,
        };
        let Some(first) = paths.first() else { continue };
        let first = dir.join(first);
        let sub_dir = canonical(&match &project_directory {
            Some(d) => dir.join(d),
            None => first.parent().map(Path::to_path_buf).unwrap_or_default(),
        });
        let sub_opts = Options {
            env_files: env_files.iter().map(|f| dir.join(f)).collect(),
            working_dir: dir.clone(),
            ..opts.clone()
        };
        let env = environment(&sub_opts, &[&sub_dir])?;
        let mut sub = serde_json::json!({});
        for p in &paths {
            let path = dir.join(p);
            let key = canonical(&path);
            if stack.contains(&key) {
                return Err(LoadError::new(format!(
                    "include cycle detected: {} is included again",
                    path.display()
                ))
                .in_file(file));
            }
            let text = std::fs::read_to_string(&path).map_err(|e| {
                LoadError::new(format!("cannot read included file: {e}")).in_file(&path)
            })?;
            let mut ctx = FileCtx {
                env: &env,
                interpolate: opts.interpolate,
                warnings,
            };
            let mut shaped = read_file(&path, &text, &sub_dir, &mut ctx)?;
            stack.push(key);
            let sub_file_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            apply_inner(&mut shaped, &path, &sub_file_dir, opts, warnings, stack)?;
            stack.pop();
            merge::merge(&mut sub, &shaped, &[]);
        }
        crate::extends::apply(&mut sub, &sub_dir, &env, opts.interpolate, warnings)?;
        crate::merge_tags::strip_merge_tags(&mut sub);
        // Bare `environment` names take their values from the included
        // project's environment, not the includer's.
        crate::normalize::resolve_bare_environment(&mut sub, &env);
        crate::normalize::default_build_context(&mut sub, &sub_dir);
        for kind in ["services", "networks", "volumes", "secrets", "configs"] {
            let Some(add) = sub.get(kind).and_then(Value::as_object) else {
                continue;
            };
            let into = imported.as_object_mut().map(|m| {
                m.entry(kind)
                    .or_insert_with(|| Value::Object(Default::default()))
            });
            let Some(Value::Object(into)) = into else {
                continue;
            };
            for (name, value) in add {
                match into.get(name) {
                    Some(existing) if existing != value => {
                        return Err(LoadError::new(format!(
                            "imported compose file {} defines conflicting {kind}.{name}",
                            first.display()
                        ))
                        .in_file(file));
                    }
                    _ => {
                        into.insert(name.clone(), value.clone());
                    }
                }
            }
        }
    }
    // What the file itself defines merges over what it includes.
    if let Some(m) = doc.as_object_mut() {
        m.remove("include");
    }
    merge::merge(&mut imported, doc, &[]);
    *doc = imported;
    Ok(())
}
