//! `extends` (the spec's 05-services.md#extends): a service starts from
//! another one, of this file or of another, and is merged over it with the
//! merge rules; chains are followed, cycles refused.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::LoadError;
use crate::load::{FileCtx, read_file};
use crate::merge;

pub fn apply(
    doc: &mut Value,
    dir: &Path,
    env: &IndexMap<String, String>,
    interpolate: bool,
    warnings: &mut Vec<String>,
) -> Result<(), LoadError> {
    let names: Vec<String> = match doc.get("services").and_then(Value::as_object) {
        Some(s) => s.keys().cloned().collect(),
        None => return Ok(()),
    };
    let mut ctx = Ctx {
        env,
        interpolate,
        warnings,
    };
    for name in names {
        let whole = doc.clone();
        let resolved = resolve(&whole, &name, dir, "", &mut ctx, &mut Vec::new())?;
        if let Some(s) = crate::load::services_mut(doc) {
            s.insert(name, resolved);
        }
    }
    Ok(())
}

struct Ctx<'a> {
    env: &'a IndexMap<String, String>,
    interpolate: bool,
    warnings: &'a mut Vec<String>,
}

fn resolve(
    doc: &Value,
    name: &str,
    dir: &Path,
    origin: &str,
    ctx: &mut Ctx,
    chain: &mut Vec<String>,
) -> Result<Value, LoadError> {
    let key = format!("{origin}#{name}");
    if chain.contains(&key) {
        return Err(LoadError::new(format!(
            "circular reference with extends in service {name:?}"
        ))
        .at_path(format!("services.{name}.extends")));
    }
    let Some(svc) = doc.get("services").and_then(|s| s.get(name)).cloned() else {
        return Err(LoadError::new(format!(
            "cannot extend service {name:?}: no such service"
        )));
    };
    // An empty service (`nil:`) extends as nothing.
    let svc = if svc.is_null() {
        Value::Object(Default::default())
    } else {
        svc
    };
    let Some(ext) = svc.get("extends").cloned() else {
        return Ok(svc);
    };
    let (base_name, file) = match &ext {
        Value::String(s) => (s.clone(), None),
        Value::Object(o) => (
            o.get("service")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            o.get("file").and_then(Value::as_str).map(String::from),
        ),
        _ => return Ok(svc),
    };
    chain.push(key);
    let base = match file {
        None => resolve(doc, &base_name, dir, origin, ctx, chain)?,
        Some(f) => {
            let path = dir.join(&f);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                LoadError::new(format!("cannot read extended file: {e}"))
                    .in_file(&path)
                    .at_path(format!("services.{name}.extends"))
            })?;
            let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let mut fctx = FileCtx {
                env: ctx.env,
                interpolate: ctx.interpolate,
                warnings: ctx.warnings,
            };
            let other = read_file(&path, &text, &base_dir, &mut fctx)?;
            let origin = std::fs::canonicalize(&path)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            resolve(&other, &base_name, &base_dir, &origin, ctx, chain)?
        }
    };
    chain.pop();
    let mut out = base;
    if let Value::Object(o) = &mut out {
        o.remove("extends");
    }
    let mut over = svc;
    if let Value::Object(o) = &mut over {
        o.remove("extends");
    }
    merge::merge(&mut out, &over, &["services", name]);
    Ok(out)
}
