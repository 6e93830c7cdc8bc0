//! Splitting a logical line into keyword, builder flags and the rest.

/// BuildKit splits off the keyword at the first run of blanks (not newlines).
fn is_blank(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Splits on runs of blanks like Go's `regexp.Split(s, -1)` on `[\t\v\f\r ]+`.
pub(super) fn split_blanks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_blank = false;
    let mut blank_start = 0;
    for (i, c) in s.char_indices() {
        if is_blank(c) {
            if !in_blank {
                in_blank = true;
                blank_start = i;
            }
        } else if in_blank {
            out.push(&s[start..blank_start]);
            start = i;
            in_blank = false;
        }
    }
    out.push(if in_blank {
        &s[start..blank_start]
    } else {
        &s[start..]
    });
    if in_blank {
        out.push("");
    }
    out
}

/// Splits in two at the first run of blanks.
pub(super) fn split_blanks2(s: &str) -> (&str, Option<&str>) {
    match s.find(is_blank) {
        None => (s, None),
        Some(i) => {
            let rest = s[i..].trim_start_matches(is_blank);
            (&s[..i], Some(rest))
        }
    }
}

/// The keyword, the `--flags` that follow it, and the remaining text.
pub(super) fn split_command(line: &str) -> (String, Vec<String>, String) {
    let (cmd, rest) = split_blanks2(line.trim());
    let (args, flags) = match rest {
        Some(r) => extract_flags(r),
        None => (String::new(), Vec::new()),
    };
    (cmd.to_string(), flags, args.trim().to_string())
}

#[derive(PartialEq)]
enum Phase {
    Spaces,
    Word,
    Quote(u8),
}

/// Leading words that start with `--` are builder flags; a bare `--` ends
/// them. Quotes group, a backslash escapes the next byte.
fn extract_flags(line: &str) -> (String, Vec<String>) {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    let mut blank_ok = false;
    let mut phase = Phase::Spaces;
    let mut pos = 0;
    let text = |w: &[u8]| String::from_utf8_lossy(w).into_owned();
    while pos <= b.len() {
        let at_end = pos == b.len();
        let ch = if at_end { 0 } else { b[pos] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if (ch as char).is_ascii_whitespace() {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == b.len() || b[pos + 1] != b'-' {
                return (line[pos..].to_string(), words);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                words.push(text(&word));
            }
            break;
        }
        match phase {
            Phase::Word => {
                if (ch as char).is_ascii_whitespace() {
                    phase = Phase::Spaces;
                    if word == b"--" {
                        return (line[pos..].to_string(), words);
                    }
                    if blank_ok || !word.is_empty() {
                        words.push(text(&word));
                    }
                    word.clear();
                    blank_ok = false;
                } else if ch == b'\'' || ch == b'"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                } else if ch == b'\\' {
                    if pos + 1 < b.len() {
                        pos += 1;
                        word.push(b[pos]);
                    }
                } else {
                    word.push(ch);
                }
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                } else if ch == b'\\' {
                    if pos + 1 == b.len() {
                        phase = Phase::Word;
                    } else {
                        pos += 1;
                        word.push(b[pos]);
                    }
                } else {
                    word.push(ch);
                }
            }
            Phase::Spaces => {}
        }
        pos += 1;
    }
    (String::new(), words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_then_args() {
        let (c, f, a) = split_command("COPY --from=a --chown=\"x y\" -- src dst");
        assert_eq!(c, "COPY");
        assert_eq!(f, vec!["--from=a", "--chown=x y"]);
        assert_eq!(a, "src dst");
    }

    #[test]
    fn blank_split_keeps_trailing_empty() {
        assert_eq!(split_blanks("a  b "), vec!["a", "b", ""]);
        assert_eq!(split_blanks("a"), vec!["a"]);
    }
}
