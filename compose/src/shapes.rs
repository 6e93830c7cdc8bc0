//! Short syntaxes → long ones, per file, before files are merged (so merge
//! rules compare like with like): ports, volumes, depends_on, environment,
//! labels, build, networks, secrets/configs, env_file, healthcheck.test.
//! Errors keep the position of the value at fault.

use serde_json::{Map, Value, json};

use crate::merge_tags::is_override;
use crate::node::{Kind, MergeTag, Node, OVERRIDE, RESET};
use crate::path::KeyPath;
use crate::ports;
use crate::shellwords::shell_split;
use crate::volume_spec::short_volume;

#[derive(Debug)]
pub struct ShapeError {
    pub file: usize,
    pub line: usize,
    pub path: KeyPath,
    pub message: String,
}

fn err(node: &Node, path: &KeyPath, message: String) -> ShapeError {
    ShapeError {
        file: node.file,
        line: node.pos.line,
        path: path.clone(),
        message,
    }
}

/// A whole (validated) compose file as JSON, service fields in long form.
pub fn file(doc: &Node) -> Result<Value, ShapeError> {
    let mut out = match doc.to_json() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    out.retain(|k, _| !k.starts_with("x-"));
    if let Some(services) = doc.get("services").and_then(Node::as_map) {
        let mut shaped = Map::new();
        for (name, svc) in services {
            let path = KeyPath::root().key("services").key(name);
            shaped.insert(name.clone(), service(svc, &path)?);
        }
        out.insert("services".into(), Value::Object(shaped));
    }
    for top in ["networks", "volumes", "secrets", "configs"] {
        if let Some(Value::Object(m)) = out.get_mut(top) {
            m.retain(|k, _| !k.starts_with("x-"));
            for v in m.values_mut() {
                if v.is_null() {
                    *v = json!({});
                }
                if let Value::Object(o) = v {
                    o.retain(|k, _| !k.starts_with("x-"));
                }
                if let Some(labels) = v.get_mut("labels") {
                    *labels = Value::Object(labels_map(labels));
                }
            }
        }
    }
    Ok(Value::Object(out))
}

/// `host:ip`, `host=ip` or a map of host → ip(s), as compose v2 prints it:
/// `host=ip`, one entry per address.
fn extra_hosts(value: &Node) -> Vec<String> {
    let mut out = Vec::new();
    match &value.kind {
        Kind::Seq(items) => {
            for text in items.iter().filter_map(Node::scalar_text) {
                // `host=ip[,ip]` or the older `host:ip` (split at the first
                // colon, so an IPv6 address stays whole).
                match text.split_once('=').or_else(|| text.split_once(':')) {
                    Some((h, ips)) => out.extend(ips.split(',').map(|ip| format!("{h}={ip}"))),
                    None => out.push(text),
                }
            }
        }
        Kind::Map(m) => {
            for (host, ips) in m {
                match &ips.kind {
                    Kind::Seq(list) => out.extend(
                        list.iter()
                            .filter_map(Node::scalar_text)
                            .map(|ip| format!("{host}={ip}")),
                    ),
                    _ => out.push(format!("{host}={}", ips.scalar_text().unwrap_or_default())),
                }
            }
        }
        _ => {}
    }
    out
}

/// compose-go's device mappings: the short `HOST[:CONTAINER[:PERMS]]` as
/// `{source, target, permissions}`, target defaulting to the source and
/// permissions to rwm; the long form as written, with the same defaults.
fn devices(value: &Node) -> Value {
    let Kind::Seq(items) = &value.kind else {
        return value.to_json();
    };
    let long = |source: &str, target: Option<&str>, perms: Option<&str>| {
        let target = target.filter(|t| !t.is_empty()).unwrap_or(source);
        let perms = perms.filter(|p| !p.is_empty()).unwrap_or("rwm");
        json!({"source": source, "target": target, "permissions": perms})
    };
    Value::Array(
        items
            .iter()
            .map(|item| match (item.scalar_text(), item.to_json()) {
                (Some(text), _) => {
                    let mut f = text.splitn(3, ':');
                    let source = f.next().unwrap_or_default();
                    long(source, f.next(), f.next())
                }
                (None, Value::Object(o)) => {
                    let field = |k: &str| o.get(k).and_then(Value::as_str);
                    let mut m = long(
                        field("source").unwrap_or_default(),
                        field("target"),
                        field("permissions"),
                    );
                    if let Value::Object(m) = &mut m {
                        m.extend(
                            o.iter()
                                .filter(|(k, _)| k.starts_with("x-"))
                                .map(|(k, v)| (k.clone(), v.clone())),
                        );
                    }
                    m
                }
                (None, other) => other,
            })
            .collect(),
    )
}

/// Labels of a top-level resource, list or map, as a map of strings.
fn labels_map(v: &Value) -> Map<String, Value> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|l| match l.split_once('=') {
                Some((k, v)) => (k.to_string(), json!(v)),
                None => (l.to_string(), json!("")),
            })
            .collect(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    json!(
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string())
                    ),
                )
            })
            .collect(),
        _ => Map::new(),
    }
}

/// `KEY=VALUE` lists and maps with scalar values → a map of strings (null
/// where a list entry has no `=`, or a map value is empty).
pub fn to_map(node: &Node, sep: char) -> Map<String, Value> {
    let mut out = Map::new();
    match &node.kind {
        Kind::Seq(items) => {
            for item in items {
                let text = item.scalar_text().unwrap_or_default();
                match text.split_once(sep) {
                    Some((k, v)) => out.insert(k.to_string(), json!(v)),
                    None => out.insert(text, Value::Null),
                };
            }
        }
        Kind::Map(m) => {
            for (k, v) in m {
                let value = if v.tag == Some(MergeTag::Reset) {
                    json!(RESET)
                } else {
                    v.scalar_text().map(Value::String).unwrap_or(Value::Null)
                };
                out.insert(k.clone(), value);
            }
        }
        _ => {}
    }
    out
}

fn service(svc: &Node, path: &KeyPath) -> Result<Value, ShapeError> {
    let Some(map) = svc.as_map() else {
        return Ok(json!({}));
    };
    let mut out = Map::new();
    for (key, value) in map {
        if key.starts_with("x-") {
            continue;
        }
        let here = path.key(key);
        if value.tag == Some(MergeTag::Reset) {
            out.insert(key.clone(), json!(RESET));
            continue;
        }
        let shaped = match key.as_str() {
            "environment" => {
                let env = to_map(value, '=');
                if let Some(bad) = env.keys().find(|k| k.ends_with([' ', '\t'])) {
                    return Err(err(
                        value,
                        &here,
                        format!("environment variable {bad} is declared with a trailing space"),
                    ));
                }
                Value::Object(env)
            }
            // A label without a value is an empty one (not unset, as an
            // environment variable would be).
            "labels" | "annotations" | "sysctls" => Value::Object(
                to_map(value, '=')
                    .into_iter()
                    .map(|(k, v)| (k, if v.is_null() { json!("") } else { v }))
                    .collect(),
            ),
            "build" => build(value),
            "ports" => {
                let mut list = Vec::new();
                for (i, p) in value.as_seq().into_iter().flatten().enumerate() {
                    match &p.kind {
                        Kind::Map(_) => list.push(long_port(p)),
                        // Left as written when not interpolated (`config --no-interpolate`).
                        Kind::Str(t) if t.contains('$') => list.push(json!(t)),
                        _ => {
                            let text = p.scalar_text().unwrap_or_default();
                            list.extend(
                                ports::parse_short(&text).map_err(|m| err(p, &here.index(i), m))?,
                            );
                        }
                    }
                }
                Value::Array(list)
            }
            "expose" => Value::Array(
                value
                    .as_seq()
                    .into_iter()
                    .flatten()
                    .map(|p| json!(p.scalar_text().unwrap_or_default()))
                    .collect(),
            ),
            "volumes" => {
                let mut list = Vec::new();
                for (i, v) in value.as_seq().into_iter().flatten().enumerate() {
                    match v.as_str() {
                        Some(text) => {
                            list.push(short_volume(text).map_err(|m| err(v, &here.index(i), m))?)
                        }
                        None => list.push(v.to_json()),
                    }
                }
                Value::Array(list)
            }
            "depends_on" => depends_on(value),
            "networks" => match &value.kind {
                Kind::Seq(items) => Value::Object(
                    items
                        .iter()
                        .filter_map(Node::scalar_text)
                        .map(|n| (n, Value::Null))
                        .collect(),
                ),
                _ => value.to_json(),
            },
            "secrets" | "configs" => Value::Array(
                value
                    .as_seq()
                    .into_iter()
                    .flatten()
                    .map(|s| match s.as_str() {
                        Some(name) => json!({"source": name}),
                        None => s.to_json(),
                    })
                    .collect(),
            ),
            "env_file" | "label_file" => {
                let items: Vec<Node> = match &value.kind {
                    Kind::Seq(items) => items.clone(),
                    _ => vec![value.clone()],
                };
                Value::Array(
                    items
                        .iter()
                        .map(|f| match f.as_str() {
                            Some(p) if key == "env_file" => json!({"path": p, "required": true}),
                            Some(p) => json!(p),
                            None => {
                                let mut long = f.to_json();
                                if key == "env_file"
                                    && let Some(o) = long.as_object_mut()
                                {
                                    o.entry("required").or_insert(json!(true));
                                }
                                long
                            }
                        })
                        .collect(),
                )
            }
            "extra_hosts" => {
                Value::Array(extra_hosts(value).into_iter().map(Value::String).collect())
            }
            "devices" => devices(value),
            "tmpfs" | "dns" | "dns_search" => match &value.kind {
                Kind::Str(s) => json!([s]),
                _ => value.to_json(),
            },
            "healthcheck" => {
                let mut hc = value.to_json();
                if let Some(Value::String(t)) = hc.get("test").cloned() {
                    hc["test"] = json!(["CMD-SHELL", t]);
                }
                hc
            }
            "command" | "entrypoint" => match &value.kind {
                Kind::Str(s) => Value::Array(
                    shell_split(s)
                        .map_err(|m| err(value, &here, m))?
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                ),
                _ => value.to_json(),
            },
            _ => value.to_json(),
        };
        let shaped = if value.tag == Some(MergeTag::Override) && !is_override(&shaped) {
            json!({ OVERRIDE: shaped })
        } else {
            shaped
        };
        out.insert(key.clone(), shaped);
    }
    Ok(Value::Object(out))
}

fn build(value: &Node) -> Value {
    match &value.kind {
        Kind::Str(ctx) => json!({"context": ctx}),
        Kind::Map(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if k.starts_with("x-") {
                    continue;
                }
                let shaped = match k.as_str() {
                    "args" | "labels" => Value::Object(to_map(v, '=')),
                    "extra_hosts" => v.to_json(),
                    _ => v.to_json(),
                };
                out.insert(k.clone(), shaped);
            }
            Value::Object(out)
        }
        _ => value.to_json(),
    }
}

fn long_port(p: &Node) -> Value {
    let mut v = p.to_json();
    if let Value::Object(o) = &mut v {
        o.retain(|k, _| !k.starts_with("x-"));
        if let Some(t) = o
            .get("target")
            .and_then(|t| t.as_str().and_then(|s| s.parse::<u32>().ok()))
        {
            o.insert("target".into(), json!(t));
        }
        if let Some(p) = o.get("published").filter(|p| p.is_number()).cloned() {
            o.insert("published".into(), json!(p.to_string()));
        }
        o.entry("mode").or_insert(json!("ingress"));
        o.entry("protocol").or_insert(json!("tcp"));
    }
    v
}

fn depends_on(value: &Node) -> Value {
    let mut out = Map::new();
    match &value.kind {
        Kind::Seq(items) => {
            for name in items.iter().filter_map(Node::scalar_text) {
                out.insert(
                    name,
                    json!({"condition": "service_started", "required": true}),
                );
            }
        }
        Kind::Map(m) => {
            for (name, dep) in m {
                let mut d = match dep.to_json() {
                    Value::Object(o) => o,
                    _ => Map::new(),
                };
                d.entry("condition").or_insert(json!("service_started"));
                d.entry("required").or_insert(json!(true));
                out.insert(name.clone(), Value::Object(d));
            }
        }
        _ => {}
    }
    Value::Object(out)
}
