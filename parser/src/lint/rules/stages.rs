//! DuplicateStageName, ReservedStageName, MultipleInstructionsDisallowed,
//! WorkdirRelativePath, NoEmptyContinuation.

use std::collections::BTreeSet;

use super::finding;
use crate::ast::WarningKind;
use crate::dockerfile::Dockerfile;
use crate::instruction::Instruction;
use crate::lint::Finding;

pub(super) fn check(df: &Dockerfile, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for s in &df.stages_raw {
        let at = (s.from.line, s.from.column);
        if let Some(name) = &s.name {
            if !seen.insert(name.clone()) {
                out.push(finding(
                    "DuplicateStageName",
                    at.0,
                    at.1,
                    format!("Duplicate stage name '{name}', stage names should be unique"),
                ));
            }
            if name == "scratch" || name == "context" {
                out.push(finding(
                    "ReservedStageName",
                    at.0,
                    at.1,
                    format!("'{name}' is reserved and should not be used as a stage name"),
                ));
            }
        }
        for kw in ["CMD", "ENTRYPOINT", "HEALTHCHECK"] {
            let same: Vec<_> = s
                .instructions
                .iter()
                .filter(|i| i.value.keyword() == kw)
                .collect();
            for i in same.iter().take(same.len().saturating_sub(1)) {
                out.push(finding(
                    "MultipleInstructionsDisallowed",
                    i.line,
                    i.column,
                    format!("Multiple {kw} instructions should not be used in the same stage because only the last one will be used"),
                ));
            }
        }
        // A stage built on another stage of this file inherits a WORKDIR
        // we can see; only a relative one with nothing absolute before it
        // depends on the base image.
        let mut has_absolute = false;
        for i in &s.instructions {
            if let Instruction::Workdir(w) = &i.value {
                let absolute =
                    w.starts_with('/') || w.starts_with('$') || w.chars().nth(1) == Some(':');
                if absolute {
                    has_absolute = true;
                } else if !has_absolute {
                    out.push(finding(
                        "WorkdirRelativePath",
                        i.line,
                        i.column,
                        format!("Relative workdir '{w}' can have unexpected results if the base image changes"),
                    ));
                }
            }
        }
    }
    for w in &df.ast.warnings {
        if w.kind == WarningKind::EmptyContinuation {
            let original = df
                .ast
                .nodes
                .iter()
                .find(|n| n.start_line == w.line)
                .map(|n| n.original.clone())
                .unwrap_or_default();
            out.push(finding(
                "NoEmptyContinuation",
                w.line,
                1,
                format!("Empty continuation line found in: {original}"),
            ));
        }
    }
}
