//! `.env` files with compose-go's rules (dotenv/parser.go, a fork of
//! joho/godotenv): `KEY=value`, `KEY: value`, `export KEY=...`, single quotes
//! literal, double quotes with shell escapes and interpolation, unquoted
//! values cut at ` #`, a bare `KEY` inherited from the environment.

use indexmap::IndexMap;

use crate::template::{self, TemplateError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DotenvError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// Parses `src`. `lookup` (the process environment, or what the caller
/// layers over it) answers bare keys and wins over the file's own earlier
/// values in substitutions, as in compose-go.
pub fn parse(
    src: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut out = IndexMap::new();
    parse_into(src, &mut out, lookup)?;
    Ok(out)
}

/// Reads an env file's text: as [`parse`], without keys that start with a
/// digit (no environment variable can be named so; compose-go drops them).
pub fn read(
    src: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut out = parse(src, lookup)?;
    out.retain(|k, _| !k.starts_with(|c: char| c.is_ascii_digit()));
    Ok(out)
}

/// Parses into `out`, so several files read in a row see each other's values.
pub fn parse_into(
    src: &str,
    out: &mut IndexMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), DotenvError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut p = Parser { line: 1 };
    let mut rest = src;
    loop {
        rest = p.statement_start(rest);
        if rest.is_empty() {
            return Ok(());
        }
        let (key, left, inherited) = p.key_name(rest)?;
        if key.contains(' ') {
            return Err(p.error("key cannot contain a space"));
        }
        if inherited {
            // Counted after the check: compose-go reports a bare key's own line.
            p.line += 1;
            if let Some(v) = lookup(&key) {
                out.insert(key, v);
            }
            rest = left;
            continue;
        }
        let (value, left) = p.value(left, out, lookup)?;
        out.insert(key, value);
        rest = left;
    }
}

/// Whitespace that does not end a line.
fn is_space(c: char) -> bool {
    c != '\n' && c.is_whitespace()
}

struct Parser {
    line: usize,
}

impl Parser {
    fn error(&self, message: impl Into<String>) -> DotenvError {
        DotenvError::Syntax {
            line: self.line,
            message: message.into(),
        }
    }

    /// Skips blank lines and comment lines, counting lines.
    fn statement_start<'a>(&mut self, mut src: &'a str) -> &'a str {
        loop {
            let Some(pos) = src.find(|c: char| {
                if c == '\n' {
                    self.line += 1;
                }
                !c.is_whitespace()
            }) else {
                return "";
            };
            src = &src[pos..];
            if !src.starts_with('#') {
                return src;
            }
            match src.find('\n') {
                Some(nl) => src = &src[nl..],
                None => return "",
            }
        }
    }

    fn key_name<'a>(&mut self, src: &'a str) -> Result<(String, &'a str, bool), DotenvError> {
        let mut src = src;
        if let Some(after) = src.strip_prefix("export")
            && after.starts_with(is_space)
        {
            src = after.trim_start_matches(is_space);
        }
        let mut end = None;
        for (i, c) in src.char_indices() {
            if is_space(c) {
                continue;
            }
            match c {
                '=' | ':' | '\n' => {
                    end = Some((i, c));
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_alphanumeric() => {}
                c => {
                    let first_line = src.split('\n').next().unwrap_or_default();
                    return Err(self.error(format!(
                        "unexpected character {:?} in variable name {:?}",
                        c.to_string(),
                        first_line
                    )));
                }
            }
        }
        let (key, left, inherited) = match end {
            Some((i, c)) => (&src[..i], &src[i + 1..], c == '\n'),
            // The last line: a bare key without a newline.
            None => (src, "", true),
        };
        let key = key.trim_end().to_string();
        let left = if inherited {
            left
        } else {
            left.trim_start_matches(is_space)
        };
        Ok((key, left, inherited))
    }

    fn value<'a>(
        &mut self,
        src: &'a str,
        env: &IndexMap<String, String>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(String, &'a str), DotenvError> {
        let quote = match src.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => {
                let (line, rest) = src.split_once('\n').unwrap_or((src, ""));
                self.line += 1;
                let line = line.split_once(" #").map_or(line, |(v, _)| v).trim_end();
                return Ok((expand(line, env, lookup)?, rest));
            }
        };
        let mut chars = String::new();
        let mut escaped = false;
        for (i, c) in src.char_indices().skip(1) {
            if c == '\n' {
                self.line += 1;
            }
            if c != quote {
                if !escaped && c == '\\' {
                    escaped = true;
                    continue;
                }
                if escaped {
                    escaped = false;
                    chars.push('\\');
                }
                chars.push(c);
                continue;
            }
            if escaped {
                escaped = false;
                chars.push(c);
                continue;
            }
            let value = if quote == '"' {
                expand(&expand_escapes(&chars), env, lookup)?
            } else {
                chars
            };
            return Ok((value, &src[i + c.len_utf8()..]));
        }
        let first_line = src.split('\n').next().unwrap_or_default();
        Err(self.error(format!("unterminated quoted value {first_line}")))
    }
}

fn expand(
    value: &str,
    env: &IndexMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, DotenvError> {
    let mapping = |k: &str| lookup(k).or_else(|| env.get(k).cloned());
    Ok(template::substitute(value, &mapping)?.0)
}

/// The echo-style escapes of a double-quoted value; `\$` becomes `$$` so the
/// interpolation that follows leaves a literal `$`.
fn expand_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' || i + 1 == chars.len() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let next = chars[i + 1];
        let simple = match next {
            'a' => Some("\u{7}"),
            'b' => Some("\u{8}"),
            'f' => Some("\u{c}"),
            'n' => Some("\n"),
            'r' => Some("\r"),
            't' => Some("\t"),
            'v' => Some("\u{b}"),
            '"' => Some("\""),
            '\\' => Some("\\"),
            '$' => Some("$$"),
            _ => None,
        };
        if let Some(rep) = simple {
            out.push_str(rep);
            i += 2;
            continue;
        }
        if next == '0' {
            let digits: String = chars[i + 2..]
                .iter()
                .take(3)
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let code = (digits.len() == 3)
                .then(|| u32::from_str_radix(&digits, 8).ok())
                .flatten()
                .filter(|&c| c <= 0o377)
                .and_then(char::from_u32);
            match code {
                Some(c) => out.push(c),
                // Not a valid octal escape: the text stays as written.
                None => {
                    out.push('\\');
                    out.push('0');
                    out.push_str(&digits);
                }
            }
            i += 2 + digits.len();
            continue;
        }
        out.push('\\');
        i += 1;
    }
    out
}
