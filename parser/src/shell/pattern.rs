//! Shell patterns for `${v#p}`, `${v%p}` and `${v/p/r}`: `*`, `?` and
//! backslash escapes; every other character is literal (no `[...]`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Any,
    One,
    Lit(char),
}

fn compile(pat: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        out.push(match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            '\\' => Tok::Lit(it.next().unwrap_or('\\')),
            c => Tok::Lit(c),
        });
    }
    out
}

/// Whether `toks` matches all of `s`.
fn full_match(toks: &[Tok], s: &[char]) -> bool {
    match toks.split_first() {
        None => s.is_empty(),
        Some((Tok::Any, rest)) => (0..=s.len()).any(|i| full_match(rest, &s[i..])),
        Some((Tok::One, rest)) => !s.is_empty() && full_match(rest, &s[1..]),
        Some((Tok::Lit(c), rest)) => s.first() == Some(c) && full_match(rest, &s[1..]),
    }
}

pub(super) fn trim_prefix(pat: &str, value: &str, greedy: bool) -> String {
    let toks = compile(pat);
    let chars: Vec<char> = value.chars().collect();
    let mut lens: Vec<usize> = (0..=chars.len()).collect();
    if greedy {
        lens.reverse();
    }
    match lens.into_iter().find(|&n| full_match(&toks, &chars[..n])) {
        Some(n) => chars[n..].iter().collect(),
        None => value.to_string(),
    }
}

pub(super) fn trim_suffix(pat: &str, value: &str, greedy: bool) -> String {
    let toks = compile(pat);
    let chars: Vec<char> = value.chars().collect();
    let mut starts: Vec<usize> = (0..=chars.len()).collect();
    if !greedy {
        starts.reverse();
    }
    match starts.into_iter().find(|&i| full_match(&toks, &chars[i..])) {
        Some(i) => chars[..i].iter().collect(),
        None => value.to_string(),
    }
}

/// Replaces the leftmost-longest match (or every non-overlapping one).
pub(super) fn replace(pat: &str, value: &str, repl: &str, all: bool) -> String {
    let toks = compile(pat);
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut replaced = false;
    while i <= chars.len() {
        let found = if replaced && !all {
            None
        } else {
            (i..=chars.len())
                .rev()
                .find(|&end| full_match(&toks, &chars[i..end]))
        };
        match found {
            Some(end) => {
                out.push_str(repl);
                replaced = true;
                if end == i {
                    // An empty match must still move forward.
                    out.extend(chars.get(i));
                    i += 1;
                } else {
                    i = end;
                }
            }
            None => {
                out.extend(chars.get(i));
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_shortest_and_longest() {
        assert_eq!(trim_prefix("*/", "a/b/c", false), "b/c");
        assert_eq!(trim_prefix("*/", "a/b/c", true), "c");
    }

    #[test]
    fn suffix_shortest_and_longest() {
        assert_eq!(trim_suffix(".*", "f.tar.gz", false), "f.tar");
        assert_eq!(trim_suffix(".*", "f.tar.gz", true), "f");
    }

    #[test]
    fn replace_first_and_all() {
        assert_eq!(replace("o", "foo", "0", false), "f0o");
        assert_eq!(replace("o", "foo", "0", true), "f00");
        assert_eq!(replace("\\*", "a*b", "-", false), "a-b");
    }
}
