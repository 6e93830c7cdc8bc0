//! A whole Dockerfile as typed instructions grouped into raw stages.

use serde::Serialize;

use crate::ast::{Ast, Node, parse_ast};
use crate::directives::Directives;
use crate::error::ParseError;
use crate::instruction::{ArgDecl, From, Instruction, from_node};

/// A value with the place it came from: first and last line (a
/// continuation or heredoc spans several), column of the keyword, and the
/// logical line as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located<T> {
    pub line: usize,
    pub end_line: usize,
    pub column: usize,
    pub original: String,
    pub value: T,
}

/// A stage as written: its FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawStage {
    /// Position among the stages, from 0.
    pub index: usize,
    pub name: Option<String>,
    pub from: Located<From>,
    pub instructions: Vec<Located<Instruction>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    pub directives: Directives,
    pub escape: char,
    /// ARGs declared before the first FROM, in order.
    pub global_args: Vec<ArgDecl>,
    /// The ARG instructions before the first FROM, with their places.
    pub global_arg_lines: Vec<Located<Instruction>>,
    pub stages_raw: Vec<RawStage>,
    /// The node tree the instructions came from.
    pub ast: Ast,
}

fn locate(node: &Node, value: Instruction) -> Located<Instruction> {
    Located {
        line: node.start_line,
        end_line: node.end_line,
        column: node.column,
        original: node.original.clone(),
        value,
    }
}

/// Parses a Dockerfile: lines, directives, heredocs, typed instructions.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let ast = parse_ast(text)?;
    let mut global_args = Vec::new();
    let mut global_arg_lines = Vec::new();
    let mut stages: Vec<RawStage> = Vec::new();
    for node in &ast.nodes {
        let inst = from_node(node).map_err(|m| ParseError::new(node.start_line, node.column, m))?;
        let located = locate(node, inst);
        match (&located.value, stages.last_mut()) {
            (Instruction::From(f), _) => {
                let from = Located {
                    line: located.line,
                    end_line: located.end_line,
                    column: located.column,
                    original: located.original.clone(),
                    value: f.clone(),
                };
                stages.push(RawStage {
                    index: stages.len(),
                    name: f.name.clone(),
                    from,
                    instructions: Vec::new(),
                });
            }
            (_, Some(stage)) => stage.instructions.push(located),
            (Instruction::Arg(decls), None) => {
                global_args.extend(decls.iter().cloned());
                global_arg_lines.push(located);
            }
            (_, None) => {
                return Err(ParseError::new(
                    node.start_line,
                    node.column,
                    "no build stage in current context",
                ));
            }
        }
    }
    Ok(Dockerfile {
        directives: ast.directives.clone(),
        escape: ast.escape,
        global_args,
        global_arg_lines,
        stages_raw: stages,
        ast,
    })
}

/// Parses one instruction on its own, such as an ONBUILD trigger from an
/// image config (heredoc bodies may follow on the next lines).
pub fn parse_instruction(line: &str) -> Result<Instruction, ParseError> {
    let node = crate::ast::parse_line(line)?;
    from_node(&node).map_err(|m| ParseError::new(node.start_line, node.column, m))
}
