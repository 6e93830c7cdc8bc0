//! The line reader: physical lines to instruction nodes. Handles the BOM,
//! CRLF, comments, directives, continuations (with comments and blank lines
//! inside) and heredoc bodies.

use super::heredoc::heredocs_from_line;
use super::line_parsers::dispatch;
use super::split::split_command;
use super::{Arg, Ast, Node, Warning, WarningKind};
use crate::directives::DirectiveScanner;
use crate::error::ParseError;

/// Longest physical line BuildKit accepts (its scanner's buffer size).
const MAX_LINE: usize = 65535;

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Physical lines, split as Go's line scanner does (a final `\r` dropped).
fn physical_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') || text.is_empty() {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// Removes a trailing continuation (escape char plus blanks) and says
/// whether the instruction ends on this line. An escaped escape char at the
/// end is not a continuation.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let Some(before) = body.strip_suffix(escape) else {
        return (line.to_string(), true);
    };
    match before.chars().last() {
        None => (String::new(), false),
        Some(c) if c == escape => (line.to_string(), true),
        Some(_) => (before.to_string(), false),
    }
}

/// Parses Dockerfile text into its node tree.
pub fn parse_ast(text: &str) -> Result<Ast, ParseError> {
    let lines = physical_lines(text);
    let mut directives = DirectiveScanner::default();
    let mut nodes = Vec::new();
    let mut warnings = Vec::new();
    let mut i = 0;
    let mut comments: Vec<String> = Vec::new();
    let scan = |d: &mut DirectiveScanner, raw: &str, no: usize| -> Result<bool, ParseError> {
        if raw.len() > MAX_LINE {
            return Err(ParseError::new(
                no,
                1,
                "dockerfile line greater than max allowed size of 65535",
            ));
        }
        d.scan(raw.trim_end_matches(['\r', '\n']), no)
            .map_err(|m| ParseError::new(no, 1, m))
    };
    while i < lines.len() {
        let raw = lines[i];
        let start_line = i + 1;
        i += 1;
        let trimmed = raw.trim_start();
        let is_directive = scan(&mut directives, trimmed, start_line)?;
        let escape = directives.escape();
        if is_directive {
            comments.clear();
        } else if let Some(c) = trimmed.strip_prefix('#') {
            match c.trim() {
                "" => comments.clear(),
                c => comments.push(c.to_string()),
            }
        } else if trimmed.is_empty() {
            comments.clear();
        }
        let first = if is_comment(trimmed) { "" } else { trimmed };
        let (first, mut ended) = trim_continuation(first, escape);
        if ended && first.is_empty() {
            continue;
        }
        let column = raw.chars().count() - trimmed.chars().count() + 1;
        let mut buf = first;
        let mut empty_continuation = false;
        while !ended && i < lines.len() {
            let raw = lines[i];
            i += 1;
            scan(&mut directives, raw, i)?;
            if is_comment(raw) {
                continue;
            }
            if raw.trim().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (part, end) = trim_continuation(raw, escape);
            buf.push_str(&part);
            ended = end;
        }
        let end_line = i;
        if empty_continuation {
            warnings.push(Warning {
                line: start_line,
                kind: WarningKind::EmptyContinuation,
            });
        }
        let mut node =
            node_from_line(&buf, escape).map_err(|m| ParseError::new(start_line, column, m))?;
        node.column = column;
        node.comments = std::mem::take(&mut comments);
        if can_contain_heredoc(&node) && buf.contains("<<") {
            let docs =
                heredocs_from_line(&buf).map_err(|m| ParseError::new(start_line, column, m))?;
            for mut doc in docs {
                let mut terminated = false;
                while i < lines.len() {
                    let body = lines[i];
                    i += 1;
                    let mut candidate = body.trim_end_matches(['\r', '\n']);
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    doc.content.push_str(body);
                    doc.content.push('\n');
                }
                if !terminated {
                    return Err(ParseError::new(
                        start_line,
                        column,
                        format!("unterminated heredoc {}", doc.name),
                    ));
                }
                node.heredocs.push(doc);
            }
        }
        node.start_line = start_line;
        node.end_line = i.max(end_line);
        set_lines(&mut node);
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(ParseError::new(
            lines.len().max(1),
            1,
            "file with no instructions",
        ));
    }
    Ok(Ast {
        escape: directives.escape(),
        directives: directives.found,
        nodes,
        warnings,
    })
}

/// An ONBUILD's nested node shares its parent's lines.
fn set_lines(node: &mut Node) {
    let (s, e, c) = (node.start_line, node.end_line, node.column);
    for a in &mut node.args {
        if let Arg::Node(n) = a {
            n.start_line = s;
            n.end_line = e;
            n.column = c;
            n.heredocs = node.heredocs.clone();
        }
    }
}

fn can_contain_heredoc(node: &Node) -> bool {
    let mut n = node;
    if n.lower_keyword() == "onbuild"
        && let Some(Arg::Node(child)) = n.args.first()
    {
        n = child;
    }
    matches!(n.lower_keyword().as_str(), "add" | "copy" | "run") && !n.json
}

/// One logical line (continuations already joined) to a node.
pub(crate) fn node_from_line(line: &str, escape: char) -> Result<Node, String> {
    let (keyword, flags, rest) = split_command(line);
    let parsed = dispatch(&keyword.to_ascii_lowercase(), &rest, escape)?;
    Ok(Node {
        keyword,
        flags,
        args: parsed.args,
        json: parsed.json,
        heredocs: Vec::new(),
        original: line.to_string(),
        start_line: 0,
        end_line: 0,
        column: 1,
        comments: Vec::new(),
    })
}

/// Parses one instruction line on its own (e.g. an ONBUILD trigger stored in
/// an image config, which may carry heredoc bodies after the first line).
pub fn parse_line(text: &str) -> Result<Node, ParseError> {
    let ast = parse_ast(text)?;
    match <[Node; 1]>::try_from(ast.nodes) {
        Ok([n]) => Ok(n),
        Err(_) => Err(ParseError::new(1, 1, "expected exactly one instruction")),
    }
}
