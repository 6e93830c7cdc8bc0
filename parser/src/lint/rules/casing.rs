//! ConsistentInstructionCasing, FromAsCasing, StageNameCasing.

use super::finding;
use crate::ast::Node;
use crate::dockerfile::Dockerfile;
use crate::lint::Finding;

#[derive(PartialEq, Clone, Copy)]
enum Case {
    Upper,
    Lower,
    Mixed,
}

fn case_of(s: &str) -> Case {
    if s == s.to_ascii_uppercase() {
        Case::Upper
    } else if s == s.to_ascii_lowercase() {
        Case::Lower
    } else {
        Case::Mixed
    }
}

fn keywords(nodes: &[Node]) -> Vec<&Node> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(n);
        for a in &n.args {
            if let crate::ast::Arg::Node(child) = a {
                out.push(child);
            }
        }
    }
    out
}

pub(super) fn check(df: &Dockerfile, out: &mut Vec<Finding>) {
    let all = keywords(&df.ast.nodes);
    let upper = all
        .iter()
        .filter(|n| case_of(&n.keyword) == Case::Upper)
        .count();
    let lower = all
        .iter()
        .filter(|n| case_of(&n.keyword) == Case::Lower)
        .count();
    let majority = if lower > upper {
        Case::Lower
    } else {
        Case::Upper
    };
    for n in &all {
        match case_of(&n.keyword) {
            Case::Mixed => out.push(finding(
                "ConsistentInstructionCasing",
                n.start_line,
                n.column,
                format!("Command '{}' should be consistently cased", n.keyword),
            )),
            c if c != majority => out.push(finding(
                "ConsistentInstructionCasing",
                n.start_line,
                n.column,
                format!(
                    "Command '{}' should match the case of the command majority ({})",
                    n.keyword,
                    if majority == Case::Upper {
                        "uppercase"
                    } else {
                        "lowercase"
                    }
                ),
            )),
            _ => {}
        }
    }
    for n in df.ast.nodes.iter().filter(|n| n.lower_keyword() == "from") {
        let values = n.values();
        let [_, as_kw, name] = values[..] else {
            continue;
        };
        let from_case = case_of(&n.keyword);
        let as_case = case_of(as_kw);
        if from_case != Case::Mixed && as_case != from_case {
            out.push(finding(
                "FromAsCasing",
                n.start_line,
                n.column,
                format!(
                    "'{as_kw}' and '{}' keywords' casing do not match",
                    n.keyword
                ),
            ));
        }
        if name != name.to_ascii_lowercase() {
            out.push(finding(
                "StageNameCasing",
                n.start_line,
                n.column,
                format!("Stage name '{name}' should be lowercase"),
            ));
        }
    }
}
