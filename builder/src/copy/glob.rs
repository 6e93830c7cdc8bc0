//! Shell-style matching of one path component, with Go's `filepath.Match`
//! rules as COPY/ADD source wildcards use them: `*` any run of characters,
//! `?` one character, `[a-z]` / `[^a-z]` classes, `\` escapes.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bad wildcard pattern {0:?}")]
pub struct BadPattern(pub String);

/// Whether a source path has wildcards at all (then it may match nothing or
/// several entries; without them it names exactly one entry).
pub fn has_wildcards(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Matches `name` (no `/`) against `pattern` (no `/`).
pub fn matches(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n).ok_or_else(|| BadPattern(pattern.to_string()))
}

fn match_from(p: &[char], n: &[char]) -> Option<bool> {
    let (mut pi, mut ni) = (0, 0);
    // Backtracking point for the last `*`: (pattern index after it, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi + 1, ni));
                    pi += 1;
                    continue;
                }
                '?' if ni < n.len() => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if ni < n.len() => {
                    let (hit, next) = class(p, pi, n[ni])?;
                    if hit {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                '\\' => {
                    let lit = *p.get(pi + 1)?;
                    if ni < n.len() && n[ni] == lit {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                c if ni < n.len() && c == n[ni] && c != '?' && c != '[' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        } else if ni == n.len() {
            return Some(true);
        }
        match star {
            Some((after, from)) if from < n.len() => {
                star = Some((after, from + 1));
                pi = after;
                ni = from + 1;
            }
            _ => {
                // Validate the rest of the pattern so a bad class is an error
                // even when matching failed earlier, as Go does.
                validate(&p[pi..])?;
                return Some(false);
            }
        }
    }
}

/// Evaluates the class starting at `p[start] == '['` against `c`; returns
/// whether it matched and the index after the class. `None`: malformed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negated = matches!(p.get(i), Some('^') | Some('!'));
    if negated {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((hit != negated, i + 1));
        }
        first = false;
        let lo = if ch == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            ch
        };
        i += 1;
        let mut hi = lo;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|c| *c != ']') {
            hi = if p[i + 1] == '\\' {
                *p.get(i + 2)?
            } else {
                p[i + 1]
            };
            i += if p[i + 1] == '\\' { 3 } else { 2 };
        }
        if lo <= c && c <= hi {
            hit = true;
        }
    }
}

fn validate(p: &[char]) -> Option<()> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '[' => {
                let (_, next) = class(p, i, '\0')?;
                i = next;
            }
            '\\' => {
                p.get(i + 1)?;
                i += 2;
            }
            _ => i += 1,
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_filepath_match_cases() {
        for (pattern, name, want) in [
            ("*.txt", "a.txt", true),
            ("*.txt", ".txt", true),
            ("*.txt", "a.txt.bak", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("?", "x", true),
            ("?", "", false),
            ("[a-c]x", "bx", true),
            ("[^a-c]x", "bx", false),
            ("[!a-c]x", "dx", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("*", "", true),
        ] {
            assert_eq!(matches(pattern, name), Ok(want), "{pattern} vs {name}");
        }
    }

    #[test]
    fn malformed_classes_are_errors() {
        assert!(matches("[a-", "a").is_err());
        assert!(matches("x[", "y").is_err());
    }
}
