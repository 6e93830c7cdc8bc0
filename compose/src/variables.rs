//! The variables a compose file uses, with their defaults (`config
//! --variables`): compose-go's template.ExtractVariables.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::node::{Kind, Node};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Variable {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "DefaultValue")]
    pub default_value: String,
    #[serde(rename = "PresenceValue")]
    pub presence_value: String,
    #[serde(rename = "Required")]
    pub required: bool,
}

/// Every variable the string values of `node` name (keys are never
/// interpolated); the first mention of a name is the one kept.
pub fn in_tree(node: &Node, out: &mut BTreeMap<String, Variable>) {
    match &node.kind {
        Kind::Str(s) => in_text(s, out),
        Kind::Seq(items) => items.iter().for_each(|i| in_tree(i, out)),
        Kind::Map(m) => m.values().for_each(|v| in_tree(v, out)),
        _ => {}
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn add(out: &mut BTreeMap<String, Variable>, v: Variable) {
    out.entry(v.name.clone()).or_insert(v);
}

pub fn in_text(text: &str, out: &mut BTreeMap<String, Variable>) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => i += 2,
            Some('{') => {
                let start = i + 2;
                let mut depth = 1;
                let mut end = None;
                for (k, &c) in chars.iter().enumerate().skip(start) {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(k);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else { return };
                let body: String = chars[start..end].iter().collect();
                braced(&body, out);
                i = end + 1;
            }
            Some(&c) if is_name_start(c) => {
                let mut j = i + 1;
                while j < chars.len() && is_name_char(chars[j]) {
                    j += 1;
                }
                add(
                    out,
                    Variable {
                        name: chars[i + 1..j].iter().collect(),
                        ..Default::default()
                    },
                );
                i = j;
            }
            _ => i += 1,
        }
    }
}

fn braced(body: &str, out: &mut BTreeMap<String, Variable>) {
    let name_len = body
        .char_indices()
        .find(|&(k, c)| {
            if k == 0 {
                !is_name_start(c)
            } else {
                !is_name_char(c)
            }
        })
        .map(|(k, _)| k)
        .unwrap_or(body.len());
    if name_len == 0 {
        return;
    }
    let mut v = Variable {
        name: body[..name_len].to_string(),
        ..Default::default()
    };
    let rest = &body[name_len..];
    let op = [":-", ":?", ":+", "-", "?", "+"]
        .iter()
        .find(|o| rest.starts_with(**o));
    let arg = op.map(|o| &rest[o.len()..]).unwrap_or("");
    match op.map(|o| o.trim_start_matches(':')) {
        Some("-") => v.default_value = arg.to_string(),
        Some("+") => v.presence_value = arg.to_string(),
        Some("?") => v.required = true,
        _ => {}
    }
    add(out, v);
    in_text(arg, out);
}

/// `config --variables --format yaml`: go-yaml's default four-space indent,
/// lower-cased field names, as docker compose prints it.
pub fn to_yaml(vars: &BTreeMap<String, Variable>) -> String {
    use serde_json::json;
    let q = |v: serde_json::Value| crate::render::scalar(&v);
    let mut out = String::new();
    for (name, v) in vars {
        out.push_str(&format!("{}:\n", q(json!(name))));
        out.push_str(&format!("    name: {}\n", q(json!(v.name))));
        out.push_str(&format!(
            "    defaultvalue: {}\n",
            q(json!(v.default_value))
        ));
        out.push_str(&format!(
            "    presencevalue: {}\n",
            q(json!(v.presence_value))
        ));
        out.push_str(&format!("    required: {}\n", v.required));
    }
    out
}
