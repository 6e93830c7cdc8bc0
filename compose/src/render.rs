//! The model printed as YAML the way `docker compose config` prints it
//! (block style, two-space indent, sequences indented under their key,
//! strings quoted only where YAML would read them as something else).

use serde_json::Value;

use crate::node::Kind;
use crate::yaml::resolve_plain;

pub fn yaml(v: &Value) -> String {
    render(v, false)
}

/// Every mapping by key: how compose prints a model it did not type (the
/// `--no-interpolate` view).
pub fn yaml_sorted(v: &Value) -> String {
    render(v, true)
}

/// What YAML output leaves out that JSON output keeps: a null `command` or
/// `entrypoint`, an empty `ipam` (compose-go's yaml tags say omitempty,
/// its json tags do not).
pub fn yaml_view(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(services)) = v.get_mut("services") {
        for svc in services.values_mut().filter_map(Value::as_object_mut) {
            svc.retain(|k, x| !(matches!(k.as_str(), "command" | "entrypoint") && x.is_null()));
        }
    }
    if let Some(Value::Object(nets)) = v.get_mut("networks") {
        for net in nets.values_mut().filter_map(Value::as_object_mut) {
            net.retain(|k, x| !(k == "ipam" && x.as_object().is_some_and(|o| o.is_empty())));
        }
    }
    v
}

fn render(v: &Value, sorted: bool) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => block_map_at(m, 0, &mut out, &mut Vec::new(), sorted),
        Value::Array(a) if !a.is_empty() => block_seq_at(a, 0, &mut out, &mut Vec::new(), sorted),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Keys in compose-go's struct order where the map is a struct (the root, a
/// port, a mount, a healthcheck, a dependency, a build); by name where it is
/// a collection (services, environment, ...), as Go prints a map.
const STRUCT_ORDER: [&str; 38] = [
    "name",
    "services",
    "networks",
    "volumes",
    "secrets",
    "configs",
    "type",
    "mode",
    "host_ip",
    "source",
    "target",
    "published",
    "protocol",
    "app_protocol",
    "read_only",
    "consistency",
    "bind",
    "volume",
    "tmpfs",
    "image",
    "test",
    "timeout",
    "interval",
    "retries",
    "start_period",
    "start_interval",
    "disable",
    "condition",
    "restart",
    "required",
    "context",
    "dockerfile",
    "dockerfile_inline",
    "args",
    "path",
    "file",
    "external",
    "driver",
];

fn ordered(m: &serde_json::Map<String, Value>, is_struct: bool) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    if is_struct {
        let rank = |k: &str| {
            STRUCT_ORDER
                .iter()
                .position(|o| *o == k)
                .unwrap_or(STRUCT_ORDER.len())
        };
        entries.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then(a.0.cmp(b.0)));
    }
    entries
}

/// Whether the map at `depth` under `parent` is a struct in compose-go.
fn is_struct(parent: &[String]) -> bool {
    let p: Vec<&str> = parent.iter().map(String::as_str).collect();
    matches!(
        p.as_slice(),
        [] | ["services", _, "healthcheck" | "build"]
            | ["services", _, "depends_on", _]
            | ["networks" | "volumes" | "secrets" | "configs", _]
            | [.., "-"]
    )
}

fn block_map_at(
    m: &serde_json::Map<String, Value>,
    indent: usize,
    out: &mut String,
    path: &mut Vec<String>,
    sorted: bool,
) {
    for (k, v) in ordered(m, !sorted && is_struct(path)) {
        out.push_str(&pad(indent));
        out.push_str(&key(k));
        out.push(':');
        path.push(k.clone());
        value_after_key(v, indent, out, path, sorted);
        path.pop();
    }
}

fn value_after_key(
    v: &Value,
    indent: usize,
    out: &mut String,
    path: &mut Vec<String>,
    sorted: bool,
) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            block_map_at(m, indent + 2, out, path, sorted);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            block_seq_at(a, indent + 2, out, path, sorted);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn block_seq_at(
    a: &[Value],
    indent: usize,
    out: &mut String,
    path: &mut Vec<String>,
    sorted: bool,
) {
    path.push("-".into());
    for item in a {
        out.push_str(&pad(indent));
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key on the dash's line, the others aligned with it.
                let mut first = true;
                for (k, v) in ordered(m, !sorted) {
                    if !first {
                        out.push_str(&pad(indent + 2));
                    }
                    first = false;
                    out.push_str(&key(k));
                    out.push(':');
                    path.push(k.clone());
                    value_after_key(v, indent + 2, out, path, sorted);
                    path.pop();
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                block_seq_at(inner, indent + 2, out, path, sorted);
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
    path.pop();
}

fn key(k: &str) -> String {
    if needs_quotes(k) {
        quote(k)
    } else {
        k.to_string()
    }
}

pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if needs_quotes(s) {
                quote(s)
            } else {
                s.clone()
            }
        }
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || !matches!(resolve_plain(s), Kind::Str(_)) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`~ \t".contains(first)
        && !(first == '-' && s.len() > 1 && !s.starts_with("- ") && s != "---")
    {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if ["yes", "no", "on", "off", "y", "n"].contains(&lower.as_str()) {
        return true;
    }
    s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.ends_with(' ')
        || s.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ports_print_as_compose_prints_them() {
        let v = json!({"services": {"web": {"ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}]}}});
        assert_eq!(
            yaml(&v),
            "services:\n  web:\n    ports:\n      - mode: ingress\n        target: 80\n        published: \"8080\"\n        protocol: tcp\n"
        );
    }

    #[test]
    fn text_that_reads_as_another_type_is_quoted() {
        let v = json!({"a": "true", "b": "1.5", "c": "", "d": "plain", "e": "x: y", "f": null, "g": "yes"});
        assert_eq!(
            yaml(&v),
            "a: \"true\"\nb: \"1.5\"\nc: \"\"\nd: plain\ne: \"x: y\"\nf: null\ng: \"yes\"\n"
        );
    }
}
