//! UndefinedVar: a bare `$NAME` in an expanded field with no ARG or ENV
//! of that name before it. Stages built on an external image are skipped:
//! its ENV is unknown without pulling it.

use std::collections::{BTreeMap, BTreeSet};

use super::finding;
use crate::dockerfile::Dockerfile;
use crate::instruction::Instruction;
use crate::lint::Finding;
use crate::shell::Lexer;

/// The texts BuildKit expands for an instruction.
fn expanded_texts(i: &Instruction) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    match i {
        Instruction::Env(p) | Instruction::Label(p) => {
            for (k, val) in p {
                v.push(k);
                v.push(val);
            }
        }
        Instruction::Arg(d) => v.extend(d.iter().filter_map(|d| d.default.as_deref())),
        Instruction::Expose(x) | Instruction::Volume(x) => v.extend(x.iter().map(String::as_str)),
        Instruction::User(s) | Instruction::Workdir(s) | Instruction::StopSignal(s) => v.push(s),
        Instruction::Copy(c) => {
            v.extend(c.sources.iter().map(String::as_str));
            v.push(&c.dest);
            v.extend(c.chown.as_deref());
            v.extend(c.chmod.as_deref());
        }
        Instruction::Add(a) => {
            v.extend(a.sources.iter().map(String::as_str));
            v.push(&a.dest);
            v.extend(a.chown.as_deref());
            v.extend(a.chmod.as_deref());
            v.extend(a.checksum.as_deref());
        }
        Instruction::Run(r) => v.extend(r.mount_specs.iter().map(String::as_str)),
        _ => {}
    }
    v
}

fn suggestion(name: &str, known: &BTreeMap<String, String>) -> String {
    known
        .keys()
        .filter(|k| crate::instruction::flags::edit_distance(k, name) <= 2 && k.len() > 2)
        .min_by_key(|k| crate::instruction::flags::edit_distance(k, name))
        .map(|k| format!(" (did you mean ${k}?)"))
        .unwrap_or_default()
}

pub(super) fn check(df: &Dockerfile, out: &mut Vec<Finding>) {
    let lex = Lexer::new(df.escape);
    let names: Vec<Option<&str>> = df.stages_raw.iter().map(|s| s.name.as_deref()).collect();
    // Known variables at the end of each stage; None when unknowable.
    let mut finals: Vec<Option<BTreeMap<String, String>>> = Vec::new();
    for s in &df.stages_raw {
        let image = s.from.value.image.to_ascii_lowercase();
        let start = if image == "scratch" {
            Some(BTreeMap::from([("PATH".to_string(), String::new())]))
        } else {
            names[..s.index]
                .iter()
                .position(|n| *n == Some(image.as_str()))
                .and_then(|i| finals[i].clone())
        };
        let Some(mut known) = start else {
            finals.push(None);
            continue;
        };
        let mut reported = BTreeSet::new();
        for i in &s.instructions {
            for text in expanded_texts(&i.value) {
                let Ok(e) = lex.expand(text, &known) else {
                    continue;
                };
                for name in e.unset {
                    if reported.insert((i.line, name.clone())) {
                        out.push(finding(
                            "UndefinedVar",
                            i.line,
                            i.column,
                            format!(
                                "Usage of undefined variable '${name}'{}",
                                suggestion(&name, &known)
                            ),
                        ));
                    }
                }
            }
            match &i.value {
                Instruction::Arg(d) => {
                    known.extend(d.iter().map(|d| (d.name.clone(), String::new())))
                }
                Instruction::Env(p) => {
                    known.extend(p.iter().map(|(k, _)| (k.clone(), String::new())))
                }
                _ => {}
            }
        }
        finals.push(Some(known));
    }
}
