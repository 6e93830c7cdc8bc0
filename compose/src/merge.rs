//! Merging compose files (the spec's 13-merge.md), on files already in long
//! form: mappings merge key by key, scalars are replaced, `command`,
//! `entrypoint` and `healthcheck.test` are replaced whole, ports, volumes,
//! secrets and configs are merged by what makes them unique (a mount's
//! target, ...), other sequences are appended without repeats.

use serde_json::{Map, Value};

use crate::node::{OVERRIDE, RESET};

/// Merges `over` into `base`, `path` being where in a file they are.
pub fn merge(base: &mut Value, over: &Value, path: &[&str]) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                let mut child: Vec<&str> = path.to_vec();
                child.push(k);
                if v.as_str() == Some(RESET) {
                    b.remove(k);
                    continue;
                }
                if let Some(inner) = v
                    .as_object()
                    .filter(|m| m.len() == 1)
                    .and_then(|m| m.get(OVERRIDE))
                {
                    b.insert(k.clone(), inner.clone());
                    continue;
                }
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v, &child),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(o)) => merge_seq(b, o, path),
        (b, o) => *b = o.clone(),
    }
}

fn merge_seq(base: &mut Vec<Value>, over: &[Value], path: &[&str]) {
    let in_service = path.len() == 3 && path[0] == "services";
    let field = path.last().copied().unwrap_or_default();
    let replaced = matches!(field, "command" | "entrypoint") && in_service
        || (path.len() == 4
            && path[0] == "services"
            && path[2] == "healthcheck"
            && field == "test");
    if replaced {
        *base = over.to_vec();
        return;
    }
    let key: fn(&Value) -> Value = match (in_service, field) {
        (true, "volumes" | "devices") => |v| v.get("target").cloned().unwrap_or(Value::Null),
        (true, "secrets" | "configs") => |v| {
            v.get("target")
                .cloned()
                .or_else(|| v.get("source").cloned())
                .unwrap_or(Value::Null)
        },
        (true, "ports") => |v| {
            let mut k = Map::new();
            for f in ["host_ip", "published", "target", "protocol"] {
                k.insert(f.into(), v.get(f).cloned().unwrap_or(Value::Null));
            }
            Value::Object(k)
        },
        (true, "env_file") => |v| v.get("path").cloned().unwrap_or_else(|| v.clone()),
        _ => |v| v.clone(),
    };
    for item in over {
        let k = key(item);
        match base.iter_mut().find(|b| key(b) == k) {
            Some(existing) => *existing = item.clone(),
            None => base.push(item.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(a: Value, b: Value) -> Value {
        let mut a = a;
        merge(&mut a, &b, &[]);
        a
    }

    #[test]
    fn spec_merge_rules() {
        let out = merged(
            json!({"services": {"web": {
                "image": "a", "command": ["x", "y"], "environment": {"A": "1", "B": "2"},
                "volumes": [{"type": "volume", "source": "v", "target": "/data"}],
                "dns": ["1.1.1.1"],
                "ports": [{"target": 80, "published": "8080", "protocol": "tcp"}]
            }}}),
            json!({"services": {"web": {
                "image": "b", "command": ["z"], "environment": {"B": "3"},
                "volumes": [{"type": "bind", "source": "./d", "target": "/data"}],
                "dns": ["1.1.1.1", "8.8.8.8"],
                "ports": [{"target": 81, "published": "8081", "protocol": "tcp"}]
            }}}),
        );
        let web = &out["services"]["web"];
        assert_eq!(web["image"], "b");
        assert_eq!(web["command"], json!(["z"]));
        assert_eq!(web["environment"], json!({"A": "1", "B": "3"}));
        assert_eq!(
            web["volumes"],
            json!([{"type": "bind", "source": "./d", "target": "/data"}])
        );
        assert_eq!(web["dns"], json!(["1.1.1.1", "8.8.8.8"]));
        assert_eq!(web["ports"].as_array().unwrap().len(), 2);
    }
}
