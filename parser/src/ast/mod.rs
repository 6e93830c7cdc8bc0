//! The node tree BuildKit's parser produces: one node per instruction with
//! its flags and argument chain, before any instruction-specific checks.

mod heredoc;
mod line_parsers;
mod reader;
mod split;

use serde::Serialize;

use crate::directives::Directives;
use crate::goquote::go_quote;

pub use heredoc::{Heredoc, heredoc_name, parse_heredoc};
pub use reader::{parse_ast, parse_line};

/// A parsed Dockerfile: directives, escape char, instruction nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ast {
    pub directives: Directives,
    pub escape: char,
    pub nodes: Vec<Node>,
    pub warnings: Vec<Warning>,
}

/// Something the parser accepted but a linter should mention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub line: usize,
    pub kind: WarningKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WarningKind {
    EmptyContinuation,
}

/// One instruction as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// The keyword as written (case preserved).
    pub keyword: String,
    pub flags: Vec<String>,
    pub args: Vec<Arg>,
    /// The arguments were a JSON array (exec form).
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    /// The whole logical line, continuations joined.
    pub original: String,
    pub start_line: usize,
    pub end_line: usize,
    /// Column of the keyword on its first line.
    pub column: usize,
    /// The comment lines right above the instruction (no blank line in
    /// between), `#` and surrounding blanks removed.
    pub comments: Vec<String>,
}

/// One link of the argument chain; ONBUILD holds a nested instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Arg {
    Value(String),
    Node(Box<Node>),
}

impl Node {
    /// The keyword in lower case, as instructions are matched.
    pub fn lower_keyword(&self) -> String {
        self.keyword.to_ascii_lowercase()
    }

    /// The plain string arguments (ONBUILD's nested node is skipped).
    pub fn values(&self) -> Vec<&str> {
        self.args
            .iter()
            .filter_map(|a| match a {
                Arg::Value(v) => Some(v.as_str()),
                Arg::Node(_) => None,
            })
            .collect()
    }

    /// BuildKit's `Node.Dump()` for one instruction.
    pub fn dump(&self) -> String {
        let mut s = self.lower_keyword();
        if !self.flags.is_empty() {
            let quoted: Vec<String> = self.flags.iter().map(|f| go_quote(f)).collect();
            s.push_str(&format!(" [{}]", quoted.join(" ")));
        }
        for a in &self.args {
            s.push(' ');
            match a {
                Arg::Value(v) => s.push_str(&go_quote(v)),
                Arg::Node(n) => s.push_str(&format!("({})", n.dump())),
            }
        }
        s.trim().to_string()
    }
}

impl Ast {
    /// BuildKit's `AST.Dump()` plus the trailing newline its test files have.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            out.push('(');
            out.push_str(&n.dump());
            out.push_str(")\n");
        }
        out
    }
}
