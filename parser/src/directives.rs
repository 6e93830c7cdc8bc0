//! Parser directives (`# escape=`, `# syntax=`, `# check=`): only at the very
//! top of the file, each at most once.

use nom::Parser;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, satisfy, space0};
use nom::combinator::{recognize, rest};
use serde::Serialize;

/// The directives found at the top of a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Directives {
    pub escape: Option<Located>,
    pub syntax: Option<Located>,
    pub check: Option<Located>,
}

/// A directive value and the line it was on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    pub value: String,
    pub line: usize,
}

/// Reads directives line by line until the first line that is not one.
#[derive(Debug, Default)]
pub(crate) struct DirectiveScanner {
    pub found: Directives,
    done: bool,
}

impl DirectiveScanner {
    /// Looks at one physical line (newline and leading blanks already
    /// trimmed) and says whether it was a directive. Returns an error
    /// message for a repeated or invalid one.
    pub fn scan(&mut self, line: &str, line_no: usize) -> Result<bool, String> {
        if self.done {
            return Ok(false);
        }
        let Some((key, value)) = split_directive(line) else {
            self.done = true;
            return Ok(false);
        };
        let key = key.to_ascii_lowercase();
        let slot = match key.as_str() {
            "escape" => &mut self.found.escape,
            "syntax" => &mut self.found.syntax,
            "check" => &mut self.found.check,
            _ => {
                self.done = true;
                return Ok(false);
            }
        };
        if slot.is_some() {
            return Err(format!("only one {key} parser directive can be used"));
        }
        if key == "escape" && value != "\\" && value != "`" {
            return Err(format!(
                "invalid escape token '{value}' does not match ` or \\"
            ));
        }
        *slot = Some(Located {
            value: value.to_string(),
            line: line_no,
        });
        Ok(true)
    }

    pub fn escape(&self) -> char {
        match self.found.escape.as_ref().map(|l| l.value.as_str()) {
            Some("`") => '`',
            _ => '\\',
        }
    }
}

/// `#` blanks key blanks `=` blanks value (value trimmed, non-empty).
fn split_directive(line: &str) -> Option<(&str, &str)> {
    let key = recognize((
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric()),
    ));
    let mut p = (
        char::<&str, nom::error::Error<&str>>('#'),
        take_while(char::is_whitespace),
        key,
        take_while(char::is_whitespace),
        char('='),
        space0,
        rest,
    );
    let (_, (_, _, k, _, _, _, v)) = p.parse(line).ok()?;
    let v = v.trim();
    let _ = take_while1::<_, &str, nom::error::Error<&str>>(|c: char| !c.is_whitespace())
        .parse(v)
        .ok()?;
    Some((k, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_forms() {
        assert_eq!(split_directive("# escape=`"), Some(("escape", "`")));
        assert_eq!(
            split_directive("#syntax = docker/dockerfile:1 "),
            Some(("syntax", "docker/dockerfile:1"))
        );
        assert_eq!(split_directive("# escape="), None);
        assert_eq!(split_directive("# just a comment"), None);
    }

    #[test]
    fn scanning_stops_at_first_other_line() {
        let mut s = DirectiveScanner::default();
        s.scan("# comment", 1).unwrap();
        s.scan("# escape=`", 2).unwrap();
        assert_eq!(s.escape(), '\\');
    }

    #[test]
    fn duplicate_is_an_error() {
        let mut s = DirectiveScanner::default();
        s.scan("# escape=`", 1).unwrap();
        assert!(s.scan("# escape=`", 2).is_err());
    }
}
