//! Per-instruction argument shapes, as BuildKit's parser dispatches them.

use super::Arg;
use super::reader::node_from_line;
use super::split::{split_blanks, split_blanks2};

pub(super) struct Parsed {
    pub args: Vec<Arg>,
    pub json: bool,
}

fn values(v: Vec<String>) -> Parsed {
    Parsed {
        args: v.into_iter().map(Arg::Value).collect(),
        json: false,
    }
}

pub(super) fn dispatch(keyword: &str, rest: &str, escape: char) -> Result<Parsed, String> {
    match keyword {
        "add" | "copy" | "volume" => maybe_json_list(rest),
        "arg" => Ok(values(parse_words(rest, escape))),
        "cmd" | "entrypoint" | "run" | "shell" => maybe_json(rest),
        "env" => name_val(rest, "ENV", escape),
        "label" => name_val(rest, "LABEL", escape),
        "expose" | "from" => Ok(whitespace_list(rest)),
        "healthcheck" => health(rest),
        "maintainer" | "stopsignal" | "user" | "workdir" => Ok(string(rest)),
        "onbuild" => {
            if rest.is_empty() {
                return Ok(values(vec![]));
            }
            // Each ONBUILD nests a node (parsed, kept and dropped
            // recursively); the instruction layer refuses ONBUILD ONBUILD
            // anyway, so a chain of them only needs to stay shallow.
            if leading_onbuilds(rest) >= MAX_ONBUILD_NESTING {
                return Err(format!(
                    "ONBUILD nested deeper than {MAX_ONBUILD_NESTING} levels"
                ));
            }
            let child = node_from_line(rest, escape)?;
            Ok(Parsed {
                args: vec![Arg::Node(Box::new(child))],
                json: false,
            })
        }
        // Unknown keywords keep an empty argument; the instruction layer
        // reports them.
        _ => Ok(values(vec![String::new()])),
    }
}

/// How deep ONBUILD nodes may nest in the syntax tree.
pub const MAX_ONBUILD_NESTING: usize = 100;

/// How many ONBUILD keywords `rest` starts with (counting stops at the
/// limit, so each level's check costs the same).
fn leading_onbuilds(rest: &str) -> usize {
    rest.split_whitespace()
        .take(MAX_ONBUILD_NESTING)
        .take_while(|w| w.eq_ignore_ascii_case("onbuild"))
        .count()
}

fn string(rest: &str) -> Parsed {
    if rest.is_empty() {
        values(vec![])
    } else {
        values(vec![rest.to_string()])
    }
}

fn whitespace_list(rest: &str) -> Parsed {
    if rest.is_empty() {
        return values(vec![]);
    }
    values(split_blanks(rest).into_iter().map(String::from).collect())
}

enum JsonOutcome {
    Array(Vec<String>),
    NotJson,
    NotStrings,
}

fn parse_json(rest: &str) -> JsonOutcome {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return JsonOutcome::NotJson;
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(rest) {
        Err(_) => JsonOutcome::NotJson,
        Ok(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                match i {
                    serde_json::Value::String(s) => out.push(s),
                    _ => return JsonOutcome::NotStrings,
                }
            }
            JsonOutcome::Array(out)
        }
    }
}

const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

fn maybe_json(rest: &str) -> Result<Parsed, String> {
    if rest.is_empty() {
        return Ok(values(vec![]));
    }
    match parse_json(rest) {
        JsonOutcome::Array(v) => Ok(Parsed {
            json: true,
            ..values(v)
        }),
        JsonOutcome::NotStrings => Err(NOT_STRING_ARRAY.into()),
        JsonOutcome::NotJson => Ok(values(vec![rest.to_string()])),
    }
}

fn maybe_json_list(rest: &str) -> Result<Parsed, String> {
    match parse_json(rest) {
        JsonOutcome::Array(v) => Ok(Parsed {
            json: true,
            ..values(v)
        }),
        JsonOutcome::NotStrings => Err(NOT_STRING_ARRAY.into()),
        JsonOutcome::NotJson => Ok(whitespace_list(rest)),
    }
}

fn health(rest: &str) -> Result<Parsed, String> {
    let sep = rest.find(char::is_whitespace).unwrap_or(rest.len());
    if sep == 0 {
        return Ok(values(vec![]));
    }
    let typ = rest[..sep].to_string();
    let cmd = maybe_json(rest[sep..].trim_start())?;
    let mut args = vec![Arg::Value(typ)];
    args.extend(cmd.args);
    Ok(Parsed {
        args,
        json: cmd.json,
    })
}

/// `KEY=value ...` pairs, or the legacy `KEY value with spaces`. Each pair
/// becomes three values: key, value, and the separator ("=" or "").
fn name_val(rest: &str, key: &str, escape: char) -> Result<Parsed, String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Err(if key == "LABEL" {
            format!("{key} requires at least one argument")
        } else {
            format!("{key} must have two arguments")
        });
    };
    if !first.contains('=') {
        let (k, v) = split_blanks2(rest);
        return match v {
            Some(v) => Ok(values(vec![k.into(), v.into(), String::new()])),
            None => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::new();
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                crate::goquote::go_quote(&w)
            ));
        };
        out.extend([k.to_string(), v.to_string(), "=".to_string()]);
    }
    Ok(values(out))
}

/// Splits on unquoted whitespace, keeping quotes and escapes in the words.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut blank_ok = false;
    let mut phase = Phase::Spaces;
    let mut pos = 0;
    while pos <= chars.len() {
        let at_end = pos == chars.len();
        let mut ch = chars.get(pos).copied().unwrap_or('\0');
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                pos += 1;
                continue;
            }
            phase = Phase::Word;
        }
        if at_end {
            if blank_ok || !word.is_empty() {
                words.push(word);
            }
            break;
        }
        match phase {
            Phase::Word => {
                if ch.is_whitespace() {
                    phase = Phase::Spaces;
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    blank_ok = false;
                    pos += 1;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    if pos + 1 == chars.len() {
                        pos += 1;
                        continue;
                    }
                    // An escaped char (even a quote) is kept with its escape.
                    word.push(ch);
                    pos += 1;
                    ch = chars[pos];
                }
                word.push(ch);
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                }
                // Nothing can be escaped inside single quotes.
                if ch == escape && q != '\'' {
                    if pos + 1 == chars.len() {
                        phase = Phase::Word;
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                    ch = chars[pos];
                }
                word.push(ch);
            }
            Phase::Spaces => {}
        }
        pos += 1;
    }
    words
}
