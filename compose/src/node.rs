//! The YAML tree every later stage works on: values with the line and column
//! they came from, so an error can point at the file, line and key path.

use indexmap::IndexMap;

/// Where a value starts in its file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(IndexMap<String, Node>),
}

/// A value and its origin. `file` is an index into the loader's file list
/// (several files are merged into one tree, each value keeps its own origin).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
    /// Where its key is written, for a mapping's value (an unknown key is
    /// reported there); its own position otherwise.
    pub key_pos: Pos,
    pub file: usize,
    /// `!reset` / `!override`: how this value merges over another file's.
    pub tag: Option<MergeTag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeTag {
    /// `!reset`: the key is removed from what it merges over.
    Reset,
    /// `!override`: the value replaces, rather than merges with, the other.
    Override,
}

/// How the JSON form marks a `!reset` value until merges are done.
pub const RESET: &str = "\u{0}!reset";
/// The key of the object that wraps an `!override` value until merges are done.
pub const OVERRIDE: &str = "\u{0}!override";

impl Node {
    pub fn new(kind: Kind, pos: Pos, file: usize) -> Self {
        Node {
            kind,
            pos,
            key_pos: pos,
            file,
            tag: None,
        }
    }

    /// A value made by the loader itself (a default, a normalized form): it
    /// takes the origin of the value it replaces.
    pub fn like(&self, kind: Kind) -> Self {
        Node {
            kind,
            pos: self.pos,
            key_pos: self.key_pos,
            file: self.file,
            tag: self.tag,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&IndexMap<String, Node>> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut IndexMap<String, Node>> {
        match &mut self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&Vec<Node>> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// The scalar as text, as compose reads a scalar where it wants a string
    /// (`FOO: 1` in `environment` is "1").
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Int(_) => "integer",
            Kind::Float(_) => "number",
            Kind::Str(_) => "string",
            Kind::Seq(_) => "array",
            Kind::Map(_) => "object",
        }
    }

    /// The tree as JSON (positions dropped).
    pub fn to_json(&self) -> serde_json::Value {
        match self.tag {
            Some(MergeTag::Reset) => return serde_json::Value::String(RESET.into()),
            Some(MergeTag::Override) => {
                let mut inner = self.clone();
                inner.tag = None;
                return serde_json::json!({ OVERRIDE: inner.to_json() });
            }
            None => {}
        }
        self.plain_json()
    }

    fn plain_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}
