//! Service dependency order (depends_on, links, `service:` network and IPC
//! modes): the order `up` starts services in; a cycle is an error.

use serde_json::{Map, Value};

use crate::error::LoadError;

/// What `svc` must wait for.
pub fn dependencies(svc: &Value) -> Vec<String> {
    let mut deps: Vec<String> = svc
        .get("depends_on")
        .and_then(Value::as_object)
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    for link in svc
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let target = link.split(':').next().unwrap_or(link).to_string();
        if !deps.contains(&target) {
            deps.push(target);
        }
    }
    for from in svc
        .get("volumes_from")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        // `container:NAME` names a container, not a service.
        if from.starts_with("container:") {
            continue;
        }
        let target = from.split(':').next().unwrap_or(from).to_string();
        if !deps.contains(&target) {
            deps.push(target);
        }
    }
    for field in ["network_mode", "ipc", "pid"] {
        if let Some(other) = svc
            .get(field)
            .and_then(Value::as_str)
            .and_then(|m| m.strip_prefix("service:"))
        {
            let other = other.to_string();
            if !deps.contains(&other) {
                deps.push(other);
            }
        }
    }
    deps
}

/// Services in start order (dependencies first; ties by name).
pub fn start_order(services: &Map<String, Value>) -> Result<Vec<String>, LoadError> {
    let mut order = Vec::new();
    let mut state: std::collections::HashMap<&str, u8> = Default::default();
    let mut names: Vec<&String> = services.keys().collect();
    names.sort();
    fn visit<'a>(
        name: &'a str,
        services: &'a Map<String, Value>,
        state: &mut std::collections::HashMap<&'a str, u8>,
        order: &mut Vec<String>,
        trail: &mut Vec<&'a str>,
    ) -> Result<(), LoadError> {
        match state.get(name) {
            Some(2) => return Ok(()),
            Some(1) => {
                trail.push(name);
                return Err(LoadError::new(format!(
                    "dependency cycle detected: {}",
                    trail.join(" -> ")
                )));
            }
            _ => {}
        }
        state.insert(name, 1);
        trail.push(name);
        if let Some(svc) = services.get(name) {
            let mut deps = dependencies(svc);
            deps.sort();
            for d in deps {
                if let Some((k, _)) = services.get_key_value(&d) {
                    visit(k, services, state, order, trail)?;
                }
            }
        }
        trail.pop();
        state.insert(name, 2);
        order.push(name.to_string());
        Ok(())
    }
    for n in names {
        visit(n, services, &mut state, &mut order, &mut Vec::new())?;
    }
    Ok(order)
}

pub fn check_cycles(services: &Map<String, Value>) -> Result<(), LoadError> {
    start_order(services).map(|_| ())
}
