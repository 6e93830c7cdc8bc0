//! Profiles (the spec's 15-profiles.md): a service with `profiles` is part of
//! the project only when one of them is enabled (`--profile`,
//! COMPOSE_PROFILES; `*` enables all).

use serde_json::Value;

use crate::error::LoadError;

/// Removes the services no enabled profile selects; returns every profile
/// the file names (for `config --profiles`), sorted.
pub fn apply(doc: &mut Value, enabled: &[String]) -> Result<Vec<String>, LoadError> {
    let mut all = Vec::new();
    let Some(services) = crate::load::services_mut(doc) else {
        return Ok(all);
    };
    let all_enabled = enabled.iter().any(|p| p == "*");
    let mut dropped = Vec::new();
    for (name, svc) in services.iter() {
        let profiles: Vec<&str> = svc
            .get("profiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for p in &profiles {
            if !all.contains(&p.to_string()) {
                all.push(p.to_string());
            }
        }
        let active = profiles.is_empty()
            || all_enabled
            || profiles.iter().any(|p| enabled.iter().any(|e| e == p));
        if !active {
            dropped.push(name.clone());
        }
    }
    for name in &dropped {
        services.remove(name);
    }
    // A service that stays may not need one that left (docker compose refuses too).
    for (name, svc) in services.iter_mut() {
        if let Some(Value::Object(deps)) = svc.get_mut("depends_on") {
            for gone in &dropped {
                let required = deps
                    .get(gone)
                    .and_then(|d| d.get("required"))
                    .and_then(Value::as_bool);
                match required {
                    Some(false) => {
                        deps.remove(gone);
                    }
                    Some(true) | None if deps.contains_key(gone) => {
                        return Err(LoadError::new(format!(
                            "service {name:?} depends on undefined service {gone:?}: its profile is not enabled"
                        )));
                    }
                    _ => {}
                }
            }
        }
    }
    all.sort();
    Ok(all)
}
