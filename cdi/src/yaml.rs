//! YAML text → `serde_json::Value`, so that one serde model reads both
//! spellings of a spec (the cdi package turns YAML into JSON the same way,
//! through sigs.k8s.io/yaml). Plain scalars are typed as YAML 1.1 types
//! them there: `0644` is octal, `true`/`yes` stay distinct only as YAML 1.2
//! has them.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};
use serde_json::{Map, Value};

/// A parse error at 1-based line and column.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Bounds against hostile input; no spec comes near them.
const MAX_DEPTH: usize = 100;
const MAX_ALIASED_NODES: usize = 100_000;

/// A parsed document and where each mapping key was written (1-based
/// line and column), for messages about a key the model refuses.
#[derive(Debug)]
pub(crate) struct Document {
    pub value: Value,
    pub keys: Vec<(String, usize, usize)>,
}

/// The first document of `text` (`Value::Null` for an empty one).
pub(crate) fn parse(text: &str) -> Result<Document, YamlError> {
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, false)
        .map_err(|e| YamlError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(Document {
        value: b.doc.unwrap_or(Value::Null),
        keys: b.keys,
    })
}

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, usize, Option<String>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    aliased: usize,
    keys: Vec<(String, usize, usize)>,
    doc: Option<Value>,
    error: Option<YamlError>,
}

impl Builder {
    fn fail(&mut self, span: &Span, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: span.start.line(),
                col: span.start.col() + 1,
                message: message.into(),
            });
        }
    }

    fn push(&mut self, v: Value, span: &Span) {
        match self.stack.last_mut() {
            None => {
                if self.doc.is_none() {
                    self.doc = Some(v);
                }
            }
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(map, _, key)) => match key.take() {
                Some(k) => {
                    map.insert(k, v);
                }
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return self.fail(span, "a mapping key must be a scalar"),
                    };
                    self.keys
                        .push((k.clone(), span.start.line(), span.start.col() + 1));
                    *key = Some(k);
                }
            },
        }
    }
}

fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let int = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if all_digits && digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(digits, 8).ok()
    } else if all_digits {
        digits.parse().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Value::from(if neg { -i } else { i });
    }
    let floaty = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && text.bytes().filter(|&b| b == b'.').count() <= 1;
    match text.parse::<f64>() {
        Ok(f) if floaty => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        _ => Value::String(text.to_string()),
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = match (&tag, style) {
                    (Some(t), _) if t.suffix == "str" => Value::String(text.to_string()),
                    (_, ScalarStyle::Plain) => plain(&text),
                    _ => Value::String(text.to_string()),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                self.push(v, &span);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => {
                    self.aliased += count(&v);
                    if self.aliased > MAX_ALIASED_NODES {
                        self.fail(&span, "document contains excessive aliasing");
                    } else {
                        self.push(v, &span);
                    }
                }
                None => self.fail(&span, "unknown anchor"),
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.fail(
                    &span,
                    format!("values nested deeper than {MAX_DEPTH} levels"),
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), anchor)),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map(Map::new(), anchor, None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(items, a)) => (Value::Array(items), a),
                    Some(Frame::Map(map, a, _)) => (Value::Object(map), a),
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                self.push(v, &span);
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_spec_in_yaml_reads_as_its_json() {
        let text = "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: foo\n  containerEdits:\n    env:\n    - FOO=injected\n    deviceNodes:\n    - path: /dev/kmsg\n      major: 1\n      fileMode: 0644\n";
        assert_eq!(
            parse(text).unwrap().value,
            json!({"cdiVersion": "0.6.0", "kind": "vendor1.com/device", "devices": [
                {"name": "foo", "containerEdits": {"env": ["FOO=injected"],
                 "deviceNodes": [{"path": "/dev/kmsg", "major": 1, "fileMode": 420}]}}]})
        );
    }

    #[test]
    fn an_unquoted_version_stays_a_string() {
        assert_eq!(parse("v: 0.6.0").unwrap().value, json!({"v": "0.6.0"}));
    }

    #[test]
    fn a_syntax_error_has_its_line() {
        let e = parse("a: b\nc: [d\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }

    #[test]
    fn aliases_copy_the_anchored_value() {
        assert_eq!(
            parse("a: &x [1]\nb: *x").unwrap().value,
            json!({"a": [1], "b": [1]})
        );
    }
}
