//! Variable substitution in compose values, with compose-go's rules
//! (template/template.go): `$V`, `${V}`, `${V:-d}`, `${V-d}`, `${V:?e}`,
//! `${V?e}`, `${V:+r}`, `${V+r}`, `$$`; defaults and messages are themselves
//! templates, expanded only when used.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Invalid template: \"{0}\"")]
    Invalid(String),
    #[error("required variable {variable} is missing a value{}", if reason.is_empty() { String::new() } else { format!(": {reason}") })]
    MissingRequired { variable: String, reason: String },
}

/// Looks a variable up: `None` is unset, `Some("")` set and empty.
pub trait Mapping {
    fn lookup(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Mapping for F {
    fn lookup(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The result and the names of unset variables that were replaced by an empty
/// string (compose warns about each).
pub fn substitute(
    template: &str,
    mapping: &dyn Mapping,
) -> Result<(String, Vec<String>), TemplateError> {
    let mut unset = Vec::new();
    // Defaults nest by recursion: bound the depth so hostile text is an
    // error, not a stack overflow.
    let mut depth = 0usize;
    for c in template.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(TemplateError::Invalid(format!(
                        "nested deeper than {MAX_NESTING} levels"
                    )));
                }
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let out = expand(template, mapping, &mut unset)?;
    Ok((out, unset))
}

const MAX_NESTING: usize = 64;

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn expand(
    template: &str,
    mapping: &dyn Mapping,
    unset: &mut Vec<String>,
) -> Result<String, TemplateError> {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let start = i + 2;
                let end = matching_brace(&chars, start)
                    .ok_or_else(|| TemplateError::Invalid(template.to_string()))?;
                let body: String = chars[start..end].iter().collect();
                out.push_str(&braced(&body, template, mapping, unset)?);
                i = end + 1;
            }
            Some(&c) if is_name_start(c) => {
                let mut j = i + 1;
                while j < chars.len() && is_name_char(chars[j]) {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                match mapping.lookup(&name) {
                    Some(v) => out.push_str(&v),
                    None => unset.push(name),
                }
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the `}` closing a `${` whose body starts at `start`
/// (braces inside a default nest: `${A:-{"json":1}}`).
fn matching_brace(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 1;
    for (k, &c) in chars.iter().enumerate().skip(start) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

fn braced(
    body: &str,
    template: &str,
    mapping: &dyn Mapping,
    unset: &mut Vec<String>,
) -> Result<String, TemplateError> {
    let invalid = || TemplateError::Invalid(template.to_string());
    let name_len = body
        .char_indices()
        .find(|&(k, c)| {
            if k == 0 {
                !is_name_start(c)
            } else {
                !is_name_char(c)
            }
        })
        .map(|(k, _)| k)
        .unwrap_or(body.len());
    if name_len == 0 {
        return Err(invalid());
    }
    let name = &body[..name_len];
    let rest = &body[name_len..];
    let value = mapping.lookup(name);
    if rest.is_empty() {
        return Ok(match value {
            Some(v) => v,
            None => {
                unset.push(name.to_string());
                String::new()
            }
        });
    }
    // Two-character operators first: `:-` is not `-` after a `:`.
    let (op, arg) = [":-", ":?", ":+", "-", "?", "+"]
        .iter()
        .find_map(|o| rest.strip_prefix(o).map(|a| (o, a)))
        .ok_or_else(invalid)?;
    let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    Ok(match *op {
        ":-" if set_nonempty => value.unwrap_or_default(),
        ":-" => expand(arg, mapping, unset)?,
        "-" => match value {
            Some(v) => v,
            None => expand(arg, mapping, unset)?,
        },
        ":+" if set_nonempty => expand(arg, mapping, unset)?,
        ":+" => String::new(),
        "+" => match value {
            Some(_) => expand(arg, mapping, unset)?,
            None => String::new(),
        },
        ":?" if set_nonempty => value.unwrap_or_default(),
        "?" if value.is_some() => value.unwrap_or_default(),
        _ => {
            return Err(TemplateError::MissingRequired {
                variable: name.to_string(),
                reason: expand(arg, mapping, unset)?,
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}x{}", "${A:-".repeat(100_000), "}".repeat(100_000));
        let none = |_: &str| None;
        assert!(matches!(
            substitute(&text, &none),
            Err(TemplateError::Invalid(_))
        ));
    }
}
