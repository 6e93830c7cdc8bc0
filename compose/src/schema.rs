//! Validation against the Compose Specification's JSON schema (draft 7,
//! `schema/compose-spec.json`, embedded). A walker of our own over the
//! positioned tree rather than a JSON-schema crate: it reports the file line
//! and key path of the offending value, suggests the key meant for an unknown
//! one (as compose v2 does), and casts interpolated text where the schema
//! wants a number or a boolean (`published: ${PORT}`).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use crate::node::{Kind, Node, Pos};
use crate::path::KeyPath;

const SCHEMA: &str = include_str!("../schema/compose-spec.json");

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub file: usize,
    pub pos: Pos,
    pub path: KeyPath,
    pub message: String,
}

struct Schema {
    root: Value,
    regexes: HashMap<String, Regex>,
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        // The schema is part of the binary: a parse failure is a build defect
        // that every test would show.
        let root: Value = serde_json::from_str(SCHEMA).expect("embedded compose-spec.json parses");
        let mut regexes = HashMap::new();
        collect_patterns(&root, &mut regexes);
        Schema { root, regexes }
    })
}

fn collect_patterns(v: &Value, out: &mut HashMap<String, Regex>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(pp)) = m.get("patternProperties") {
                for k in pp.keys() {
                    if let Ok(r) = Regex::new(k) {
                        out.insert(k.clone(), r);
                    }
                }
            }
            if let Some(Value::String(p)) = m.get("pattern")
                && let Ok(r) = Regex::new(p)
            {
                out.insert(p.clone(), r);
            }
            m.values().for_each(|x| collect_patterns(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_patterns(x, out)),
        _ => {}
    }
}

/// Validates a whole compose file; the first violation found.
pub fn validate(doc: &mut Node) -> Result<(), Violation> {
    let s = schema();
    check(s, &s.root, doc, &KeyPath::root())
}

fn resolve<'a>(s: &'a Schema, mut sch: &'a Value) -> &'a Value {
    while let Some(Value::String(r)) = sch.get("$ref") {
        let Some(name) = r.strip_prefix("#/definitions/") else {
            break;
        };
        match s.root["definitions"].get(name) {
            Some(def) => sch = def,
            None => break,
        }
    }
    sch
}

fn violation(node: &Node, path: &KeyPath, message: String) -> Violation {
    Violation {
        file: node.file,
        pos: node.pos,
        path: path.clone(),
        message,
    }
}

fn types_of(sch: &Value) -> Vec<&str> {
    match sch.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn type_matches(t: &str, node: &Node) -> bool {
    matches!(
        (t, &node.kind),
        ("null", Kind::Null)
            | ("boolean", Kind::Bool(_))
            | ("integer", Kind::Int(_))
            | ("number", Kind::Int(_) | Kind::Float(_))
            | ("string", Kind::Str(_))
            | ("array", Kind::Seq(_))
            | ("object", Kind::Map(_))
    ) || (t == "integer" && matches!(node.kind, Kind::Float(f) if f.fract() == 0.0))
}

/// Text where the schema wants a number or a boolean: the value an
/// interpolation produced, cast as compose-go casts it.
fn cast(types: &[&str], node: &Node) -> Option<Kind> {
    // An empty value where a mapping is meant (`models: {llm: }`) is an
    // empty mapping: compose-go loads it so.
    if node.is_null() && types.contains(&"object") {
        return Some(Kind::Map(Default::default()));
    }
    let text = node.as_str()?;
    for t in types {
        match *t {
            "integer" => {
                if let Ok(i) = text.trim().parse::<i64>() {
                    return Some(Kind::Int(i));
                }
            }
            "number" => {
                if let Ok(i) = text.trim().parse::<i64>() {
                    return Some(Kind::Int(i));
                }
                if let Ok(f) = text.trim().parse::<f64>() {
                    return Some(Kind::Float(f));
                }
            }
            "boolean" => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" => return Some(Kind::Bool(true)),
                "false" | "no" | "n" | "off" => return Some(Kind::Bool(false)),
                _ => {}
            },
            _ => {}
        }
    }
    None
}

/// compose-go's wording: `must be a boolean, null, number or string`,
/// `must be a mapping`.
fn describe(types: &[&str]) -> String {
    let mut names: Vec<&str> = types
        .iter()
        .map(|t| match *t {
            "object" => "mapping",
            "array" => "list",
            other => other,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [] => "has the wrong type".into(),
        [one] => format!("must be a {one}"),
        [init @ .., last] => format!("must be a {} or {last}", init.join(", ")),
    }
}

fn check(s: &Schema, sch: &Value, node: &mut Node, path: &KeyPath) -> Result<(), Violation> {
    if node.tag == Some(crate::node::MergeTag::Reset) {
        return Ok(());
    }
    let sch = resolve(s, sch);
    if let Some(Value::Array(branches)) = sch.get("oneOf") {
        return one_of(s, branches, node, path);
    }
    let types = types_of(sch);
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, node)) {
        match cast(&types, node) {
            Some(kind) => node.kind = kind,
            None => return Err(violation(node, path, describe(&types))),
        }
    }
    // `["integer", "string"]` and the like: the spec accepts text so that
    // `${VAR}` can be written there; the value is the number or boolean the
    // text spells (compose-go's interpolation casts). A file mode is octal
    // text, as compose-go's FileMode reads it.
    if let (Some(first), Kind::Str(text)) = (types.first(), &node.kind)
        && *first != "string"
        && types.contains(&"string")
    {
        let octal = path.to_string().ends_with(".mode");
        let kind = if octal {
            i64::from_str_radix(text.trim(), 8).ok().map(Kind::Int)
        } else {
            cast(&[first], node)
        };
        if let Some(kind) = kind {
            node.kind = kind;
        }
    }
    if let Some(Value::Array(allowed)) = sch.get("enum") {
        let here = node.to_json();
        if !allowed.contains(&here) {
            let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
            return Err(violation(
                node,
                path,
                format!("must be one of {}", list.join(", ")),
            ));
        }
    }
    if let (Some(Value::String(p)), Kind::Str(text)) = (sch.get("pattern"), &node.kind)
        && let Some(re) = s.regexes.get(p)
        && !re.is_match(text)
    {
        return Err(violation(
            node,
            path,
            format!("{text:?} does not match {p:?}"),
        ));
    }
    if let Some(min) = sch.get("minimum").and_then(Value::as_f64)
        && let Some(v) = node.to_json().as_f64()
        && v < min
    {
        return Err(violation(node, path, format!("must be at least {min}")));
    }
    if let Some(max) = sch.get("maximum").and_then(Value::as_f64)
        && let Some(v) = node.to_json().as_f64()
        && v > max
    {
        return Err(violation(node, path, format!("must be at most {max}")));
    }
    let (file, pos) = (node.file, node.pos);
    match &mut node.kind {
        Kind::Map(map) => {
            if let Some(Value::Array(req)) = sch.get("required") {
                for r in req.iter().filter_map(Value::as_str) {
                    if !map.contains_key(r) {
                        return Err(Violation {
                            file,
                            pos,
                            path: path.clone(),
                            message: format!("{r} is required"),
                        });
                    }
                }
            }
            let props = sch.get("properties").and_then(Value::as_object);
            let patterns = sch.get("patternProperties").and_then(Value::as_object);
            let known: Vec<&str> = props
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            for (key, value) in map.iter_mut() {
                let child = path.key(key);
                if let Some(p) = props.and_then(|p| p.get(key)) {
                    check(s, p, value, &child)?;
                    continue;
                }
                let mut matched = false;
                if let Some(pp) = patterns {
                    for (pat, psch) in pp {
                        if s.regexes.get(pat).is_some_and(|re| re.is_match(key)) {
                            matched = true;
                            check(s, psch, value, &child)?;
                        }
                    }
                }
                if matched {
                    continue;
                }
                match sch.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        let mut message = format!("additional property {key:?} is not allowed");
                        if let Some(near) = suggest(key, &known) {
                            message.push_str(&format!(" (did you mean {near:?}?)"));
                        }
                        let at = if path.is_root() {
                            KeyPath::root().key(key)
                        } else {
                            path.clone()
                        };
                        return Err(Violation {
                            file: value.file,
                            pos: value.key_pos,
                            path: at,
                            message,
                        });
                    }
                    Some(extra @ Value::Object(_)) => check(s, extra, value, &child)?,
                    _ => {}
                }
            }
        }
        Kind::Seq(items) => {
            if let Some(isch) = sch.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    check(s, isch, item, &path.index(i))?;
                }
            }
            if sch.get("uniqueItems") == Some(&Value::Bool(true)) {
                let mut seen: Vec<Value> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let v = item.to_json();
                    if seen.contains(&v) {
                        return Err(violation(
                            item,
                            &path.index(i),
                            format!("{v} is listed twice"),
                        ));
                    }
                    seen.push(v);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A value must match exactly one branch. The error reported for none is the
/// one of the branch whose type the value has (that is the form the user was
/// writing), so a typo inside a long-syntax port names the key, not "oneOf".
fn one_of(
    s: &Schema,
    branches: &[Value],
    node: &mut Node,
    path: &KeyPath,
) -> Result<(), Violation> {
    let mut typed_error = None;
    let mut all_types = Vec::new();
    // Branches that take the value as it is come first, so a null stays null
    // where null is allowed rather than becoming an empty mapping.
    let (exact, others): (Vec<&Value>, Vec<&Value>) = branches.iter().partition(|b| {
        let types = types_of(resolve(s, b));
        types.is_empty() || types.iter().any(|t| type_matches(t, node))
    });
    for b in exact.into_iter().chain(others) {
        let b = resolve(s, b);
        let mut attempt = node.clone();
        match check(s, b, &mut attempt, path) {
            Ok(()) => {
                *node = attempt;
                return Ok(());
            }
            Err(e) => {
                let types = types_of(b);
                if typed_error.is_none() && types.iter().any(|t| type_matches(t, node)) {
                    typed_error = Some(e);
                }
                all_types.extend(types);
            }
        }
    }
    if let Some(e) = typed_error {
        return Err(e);
    }
    Err(violation(node, path, describe(&all_types)))
}

/// The known key closest to a misspelt one, if it is close enough to be what
/// the user meant.
pub fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn validate_text(text: &str) -> Result<(), Violation> {
        let mut doc = yaml::parse(text, 0).unwrap().unwrap();
        validate(&mut doc)
    }

    #[test]
    fn a_plain_service_is_valid() {
        validate_text("services:\n  web:\n    image: nginx\n    ports: [\"80:80\", 443]\n")
            .unwrap();
    }

    #[test]
    fn an_unknown_service_key_is_refused_with_a_suggestion() {
        let e = validate_text("services:\n  web:\n    imgae: nginx\n").unwrap_err();
        assert_eq!(e.path.to_string(), "services.web");
        assert_eq!(e.pos.line, 3);
        assert!(
            e.message
                .contains("\"imgae\" is not allowed (did you mean \"image\"?)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_unknown_top_level_key_names_itself() {
        let e = validate_text("service:\n  web:\n    image: nginx\n").unwrap_err();
        assert_eq!(e.path.to_string(), "service");
        assert!(
            e.message.contains("did you mean \"services\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn extension_keys_are_accepted_anywhere_the_spec_allows() {
        validate_text("x-common: {a: 1}\nservices:\n  web:\n    image: nginx\n    x-foo: bar\n")
            .unwrap();
    }

    #[test]
    fn a_typo_inside_a_long_port_names_the_port() {
        let e = validate_text("services:\n  web:\n    image: a\n    ports:\n      - target: 80\n        publishd: 8080\n").unwrap_err();
        assert_eq!(e.path.to_string(), "services.web.ports[0]");
        assert!(
            e.message.contains("did you mean \"published\""),
            "{}",
            e.message
        );
    }
}
