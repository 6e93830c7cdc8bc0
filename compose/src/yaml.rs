//! YAML text → [`Node`] tree: anchors and aliases resolved, `<<` merge keys
//! applied (YAML 1.1's merge, which compose files rely on), plain scalars
//! typed as go-yaml v3 types them (compose-go's parser).

use std::collections::HashMap;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

use crate::node::{Kind, MergeTag, Node, Pos};

#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Every document of `text` (`---` separated; compose merges them in order
/// as if they were files given with -f).
pub fn parse_documents(text: &str, file: usize) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        docs: Vec::new(),
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| YamlError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.docs)
}

/// The first document of `text`, if any.
pub fn parse(text: &str, file: usize) -> Result<Option<Node>, YamlError> {
    Ok(parse_documents(text, file)?.into_iter().next())
}

fn merge_tag(tag: &Option<std::borrow::Cow<'_, saphyr_parser::Tag>>) -> Option<MergeTag> {
    match tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str())) {
        Some(("!", "reset")) => Some(MergeTag::Reset),
        Some(("!", "override")) => Some(MergeTag::Override),
        _ => None,
    }
}

enum Frame {
    Seq(Node, usize),
    /// A mapping under construction: its node, anchor id, the key waiting for
    /// its value, and the keys given explicitly (they win over merged ones).
    Map {
        node: Node,
        anchor: usize,
        key: Option<(String, Pos)>,
        merges: Vec<Node>,
    },
}

struct Builder {
    file: usize,
    stack: Vec<Frame>,
    /// Anchored values and their size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes copied by aliases so far (a "billion laughs" file is refused).
    expanded: usize,
    docs: Vec<Node>,
    error: Option<YamlError>,
}

/// Hostile input bounds: no compose file comes near them.
const MAX_DEPTH: usize = 200;
const MAX_ALIASED_NODES: usize = 1_000_000;

fn size(node: &Node) -> usize {
    1 + match &node.kind {
        Kind::Seq(items) => items.iter().map(size).sum(),
        Kind::Map(m) => m.values().map(size).sum(),
        _ => 0,
    }
}

impl Builder {
    fn anchor(&mut self, id: usize, node: &Node) {
        if id > 0 {
            self.anchors.insert(id, (node.clone(), size(node)));
        }
    }

    fn fail(&mut self, pos: Pos, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: pos.line,
                col: pos.col,
                message,
            });
        }
    }

    fn push_value(&mut self, value: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(value),
            Some(Frame::Seq(seq, _)) => {
                if let Kind::Seq(items) = &mut seq.kind {
                    items.push(value);
                }
            }
            Some(Frame::Map {
                node, key, merges, ..
            }) => match key.take() {
                None => {
                    // A mapping key: compose keys are scalars.
                    let pos = value.pos;
                    match value.scalar_text() {
                        Some(k) => *key = Some((k, pos)),
                        None if value.is_null() => *key = Some((String::new(), pos)),
                        None => self.fail(pos, "a mapping key must be a scalar".into()),
                    }
                }
                Some((k, kpos)) => {
                    if k == "<<" {
                        match &value.kind {
                            Kind::Map(_) => merges.push(value),
                            Kind::Seq(items) if items.iter().all(|i| i.as_map().is_some()) => {
                                merges.extend(items.iter().cloned())
                            }
                            _ => self.fail(
                                kpos,
                                "the value of a << merge key must be a mapping or a list of mappings"
                                    .into(),
                            ),
                        }
                        return;
                    }
                    if let Kind::Map(m) = &mut node.kind {
                        if m.contains_key(&k) {
                            let msg = format!("mapping key \"{k}\" already defined");
                            self.fail(kpos, msg);
                            return;
                        }
                        // The value's position is where it is written; a
                        // key's own line is more useful for a null value.
                        let mut value = value;
                        if value.is_null() {
                            value.pos = kpos;
                        }
                        value.key_pos = kpos;
                        m.insert(k, value);
                    }
                }
            },
        }
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// go-yaml v3's resolution of a plain scalar (YAML 1.2 core schema, plus the
/// 1.1 spellings of booleans it still accepts for decoding into `any`).
pub fn resolve_plain(text: &str) -> Kind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    let plain = text.replace('_', "");
    let (neg, digits) = match plain.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, plain.strip_prefix('+').unwrap_or(&plain)),
    };
    let int = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = digits.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        // Go's base-0 integers, which go-yaml v3 uses: a leading 0 is octal (`mode: 0440`).
        i64::from_str_radix(digits, 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Kind::Int(if neg { -i } else { i });
    }
    let looks_float = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if looks_float && let Ok(f) = text.parse::<f64>() {
        return Kind::Float(f);
    }
    Kind::Str(text.to_string())
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        if self.error.is_some() {
            return;
        }
        let pos = pos_of(&span);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let kind = match (&tag, style) {
                    (Some(t), _) if t.suffix == "str" => Kind::Str(text.to_string()),
                    (_, ScalarStyle::Plain) => resolve_plain(&text),
                    _ => Kind::Str(text.to_string()),
                };
                let mut node = Node::new(kind, pos, self.file);
                node.tag = merge_tag(&tag);
                if anchor > 0 {
                    self.anchor(anchor, &node);
                }
                self.push_value(node);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    let node = node.clone();
                    self.expanded += size;
                    if self.expanded > MAX_ALIASED_NODES {
                        self.fail(pos, "document contains excessive aliasing".into());
                        return;
                    }
                    self.push_value(node);
                }
                None => self.fail(pos, "unknown anchor".into()),
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.fail(pos, format!("values nested deeper than {MAX_DEPTH} levels"));
            }
            Event::SequenceStart(anchor, tag) => {
                let mut node = Node::new(Kind::Seq(Vec::new()), pos, self.file);
                node.tag = merge_tag(&tag);
                self.stack.push(Frame::Seq(node, anchor))
            }
            Event::MappingStart(anchor, tag) => self.stack.push(Frame::Map {
                node: {
                    let mut node = Node::new(Kind::Map(IndexMap::new()), pos, self.file);
                    node.tag = merge_tag(&tag);
                    node
                },
                anchor,
                key: None,
                merges: Vec::new(),
            }),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(node, anchor)) = self.stack.pop() {
                    if anchor > 0 {
                        self.anchor(anchor, &node);
                    }
                    self.push_value(node);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut node,
                    anchor,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    if let Kind::Map(m) = &mut node.kind {
                        // Earlier merge sources win over later ones, explicit keys over all.
                        for source in merges {
                            if let Kind::Map(src) = source.kind {
                                for (k, v) in src {
                                    m.entry(k).or_insert(v);
                                }
                            }
                        }
                    }
                    if anchor > 0 {
                        self.anchor(anchor, &node);
                    }
                    self.push_value(node);
                }
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        parse(text, 0).unwrap().unwrap().to_json()
    }

    #[test]
    fn merge_keys_fill_in_what_the_mapping_does_not_set() {
        let v = json("base: &b {a: 1, b: 2}\nsvc:\n  <<: *b\n  b: 3\n");
        assert_eq!(v["svc"], serde_json::json!({"a": 1, "b": 3}));
    }

    #[test]
    fn merge_of_a_list_prefers_the_first_source() {
        let v = json("x: &x {a: 1}\ny: &y {a: 2, c: 3}\nz:\n  <<: [*x, *y]\n");
        assert_eq!(v["z"], serde_json::json!({"a": 1, "c": 3}));
    }

    #[test]
    fn quoted_scalars_stay_strings_plain_ones_are_typed() {
        let v = json("a: \"80\"\nb: 80\nc: yes\nd: true\ne: 1.5\nf: ~\n");
        assert_eq!(
            v,
            serde_json::json!({"a": "80", "b": 80, "c": "yes", "d": true, "e": 1.5, "f": null})
        );
    }

    #[test]
    fn positions_are_one_based_lines() {
        let n = parse("services:\n  web:\n    image: x\n", 0)
            .unwrap()
            .unwrap();
        let image = n
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(image.pos, Pos { line: 3, col: 12 });
    }

    #[test]
    fn duplicate_keys_are_an_error_at_the_second_key() {
        let e = parse("a: 1\na: 2\n", 0).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn a_billion_laughs_is_refused_not_expanded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let e = parse(&text, 0).unwrap_err();
        assert!(e.message.contains("excessive aliasing"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000));
        let e = parse(&text, 0).unwrap_err();
        // saphyr-parser's own limit or ours, whichever comes first: an error, not a stack overflow.
        assert!(
            e.message.contains("nested deeper") || e.message.contains("recursion limit"),
            "{e}"
        );
        let text = format!("a: {}x{}\n", "[".repeat(300), "]".repeat(300));
        let e = parse(&text, 0).unwrap_err();
        assert!(
            e.message.contains("nested deeper") || e.message.contains("recursion limit"),
            "{e}"
        );
    }

    #[test]
    fn bad_yaml_names_its_line() {
        let e = parse("services:\n  web:\n    image: [x\n", 0).unwrap_err();
        assert!(e.line >= 3, "{e}");
    }
}
