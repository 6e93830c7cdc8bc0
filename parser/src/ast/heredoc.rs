//! Heredoc markers (`<<EOF`, `<<-EOF`, `3<<"EOF"`) on RUN/COPY/ADD lines.

use serde::Serialize;

use crate::shell::{Lexer, NoEnv};

/// A heredoc: its terminator word, its body (each line with its newline),
/// whether the builder may expand variables in it (the name was not quoted)
/// and whether leading tabs are stripped (`<<-`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    pub name: String,
    pub content: String,
    pub expand: bool,
    pub chomp: bool,
    pub fd: u32,
}

impl Heredoc {
    /// The body as a step sees it: `<<-` strips leading tabs.
    pub fn body(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|l| l.trim_start_matches('\t'))
            .collect()
    }
}

/// The heredoc markers among the words of `line`, bodies still empty.
pub(super) fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let mut lex = Lexer::new('\\');
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    // Words that fail to lex are simply not heredocs, as in BuildKit.
    let words = lex
        .expand(line, &NoEnv)
        .map(|e| e.words)
        .unwrap_or_default();
    let mut out = Vec::new();
    for w in words {
        if let Some(h) = parse_heredoc(&w)? {
            out.push(h);
        }
    }
    Ok(out)
}

/// `^(\d*)<<(-?)\s*([^<]*)$` with a single-word name.
pub fn parse_heredoc(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, after),
    };
    let rest = after.trim_start();
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let fd = word[..digits].parse().unwrap_or(0);
    let mut lex = Lexer::new('\\');
    lex.skip_unset_env = true;
    let words = lex.expand(rest, &NoEnv).map_err(|e| e.to_string())?.words;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw = lex.expand(rest, &NoEnv).map_err(|e| e.to_string())?.words;
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = raw.first().map(|r| quotes(r)) == Some(quotes(&words[0]));
    Ok(Some(Heredoc {
        name: words[0].clone(),
        content: String::new(),
        expand,
        chomp,
        fd,
    }))
}

/// The heredoc name a word like `<<EOF` or `<<-"EOF"` introduces, if any.
pub fn heredoc_name(word: &str) -> Option<String> {
    parse_heredoc(word).ok().flatten().map(|h| h.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names_do_not_expand() {
        let h = parse_heredoc("<<\"EOF\"").unwrap().unwrap();
        assert_eq!((h.name.as_str(), h.expand), ("EOF", false));
        let h = parse_heredoc("<<-EOT").unwrap().unwrap();
        assert_eq!((h.name.as_str(), h.expand, h.chomp), ("EOT", true, true));
        let h = parse_heredoc("3<<eo'f'").unwrap().unwrap();
        assert_eq!((h.name.as_str(), h.expand, h.fd), ("eof", false, 3));
    }

    #[test]
    fn several_on_one_line() {
        let hs = heredocs_from_line("COPY <<A <<B /dest/").unwrap();
        assert_eq!(hs.len(), 2);
        assert!(heredocs_from_line("RUN \"<<NO\"").unwrap().is_empty());
    }
}
