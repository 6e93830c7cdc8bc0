//! The build plan: stages with their bases resolved, global ARGs evaluated,
//! the dependency DAG, and only the stages the target needs, dependencies
//! first.

mod args;
mod error;
mod graph;
mod platform;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::dockerfile::{Dockerfile, Located};
use crate::instruction::{Instruction, Mount};

pub use args::meta_args;
pub use error::PlanError;
pub use platform::{Platform, PlatformError};

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--build-arg` values; they override ARG defaults and platform ARGs.
    pub build_args: BTreeMap<String, String>,
    /// Stage name to build (default: the last stage).
    pub target: Option<String>,
    pub target_platform: Platform,
    pub build_platform: Platform,
    /// `--build-context NAME=...` names: a stage of that name, or a FROM
    /// naming it, starts from the named context instead (BuildKit's rule:
    /// the context overrides a stage or image of its name).
    pub named_contexts: BTreeSet<String>,
}

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Base {
    Scratch,
    /// An image reference, expanded with the global ARGs.
    Image(String),
    /// An earlier stage, by its index in the Dockerfile.
    Stage(usize),
    /// A `--build-context` of this name.
    Context(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// Position in the Dockerfile, from 0.
    pub index: usize,
    pub name: Option<String>,
    pub base: Base,
    /// `--platform` expanded with the global ARGs.
    pub platform: Option<String>,
    /// The FROM line's place.
    pub line: usize,
    pub instructions: Vec<Located<Instruction>>,
    /// Indexes of the stages this one needs (its base stage, COPY --from,
    /// RUN --mount from=), sorted, without repeats.
    pub deps: Vec<usize>,
    /// The global ARGs and platform ARGs with their values: a stage's
    /// `ARG NAME` without a default takes its value from here.
    pub args_in_scope: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Only the stages the target needs, dependencies before dependents.
    pub stages: Vec<Stage>,
    /// Index into `stages` of the stage to build.
    pub target: usize,
}

/// Resolves stages, expands FROM lines with global ARGs, builds the DAG and
/// prunes what the target does not need.
pub fn plan(df: &Dockerfile, opts: &PlanOptions) -> Result<Plan, PlanError> {
    if df.stages_raw.is_empty() {
        return Err(PlanError::new(1, 1, "the Dockerfile has no FROM"));
    }
    let target = match &opts.target {
        None => df.stages_raw.len() - 1,
        Some(t) => {
            let lower = t.to_ascii_lowercase();
            df.stages_raw
                .iter()
                .position(|s| s.name.as_deref() == Some(lower.as_str()))
                .ok_or_else(|| {
                    PlanError::unlocated(format!("target stage \"{t}\" could not be found"))
                })?
        }
    };
    let meta = meta_args(df, opts, df.stages_raw[target].name.as_deref())?;
    let names: Vec<Option<&str>> = df.stages_raw.iter().map(|s| s.name.as_deref()).collect();
    let mut stages = Vec::with_capacity(df.stages_raw.len());
    for raw in &df.stages_raw {
        let from = &raw.from;
        let at =
            |e: crate::shell::ExpandError| PlanError::new(from.line, from.column, e.to_string());
        let image = crate::shell::expand(&from.value.image, &meta, df.escape).map_err(at)?;
        if image.is_empty() {
            return Err(PlanError::new(
                from.line,
                from.column,
                format!("base name ({}) should not be blank", from.value.image),
            ));
        }
        let platform = match &from.value.platform {
            None => None,
            Some(p) => Some(crate::shell::expand(p, &meta, df.escape).map_err(at)?),
        };
        let lower = image.to_ascii_lowercase();
        let overridden = raw
            .name
            .as_ref()
            .filter(|n| opts.named_contexts.contains(n.as_str()));
        if let Some(name) = overridden {
            // The stage is the named context: its own lines never run.
            stages.push(Stage {
                index: raw.index,
                name: raw.name.clone(),
                base: Base::Context(name.clone()),
                platform,
                line: from.line,
                instructions: Vec::new(),
                deps: Vec::new(),
                args_in_scope: meta.clone(),
            });
            continue;
        }
        let base = if lower == "scratch" {
            Base::Scratch
        } else {
            match names[..raw.index]
                .iter()
                .position(|n| *n == Some(lower.as_str()))
            {
                Some(i) => Base::Stage(i),
                None if opts.named_contexts.contains(&image) => Base::Context(image),
                None => Base::Image(image),
            }
        };
        let mut deps = Vec::new();
        if let Base::Stage(i) = base {
            deps.push(i);
        }
        for inst in &raw.instructions {
            for from_ref in stage_refs(&inst.value) {
                if from_ref.contains('$') {
                    return Err(PlanError::new(
                        inst.line,
                        inst.column,
                        format!(
                            "variable expansion is not supported for --from ({from_ref}), define a new stage with FROM using ARG from global scope as a workaround"
                        ),
                    ));
                }
                if let Some(i) = resolve_ref(from_ref, &names, inst)? {
                    deps.push(i);
                }
            }
        }
        deps.sort_unstable();
        deps.dedup();
        stages.push(Stage {
            index: raw.index,
            name: raw.name.clone(),
            base,
            platform,
            line: from.line,
            instructions: raw.instructions.clone(),
            deps,
            args_in_scope: meta.clone(),
        });
    }
    let order = graph::order_from(target, &stages)?;
    let mut pos = BTreeMap::new();
    let mut kept = Vec::with_capacity(order.len());
    let mut slots: Vec<Option<Stage>> = stages.into_iter().map(Some).collect();
    for (k, i) in order.into_iter().enumerate() {
        pos.insert(i, k);
        kept.extend(slots.get_mut(i).and_then(Option::take));
    }
    Ok(Plan {
        target: pos
            .get(&target)
            .copied()
            .unwrap_or(kept.len().saturating_sub(1)),
        stages: kept,
    })
}

/// The `--from` values of COPY and of RUN mounts (ONBUILD triggers run in
/// the child stage, so they do not count here).
fn stage_refs(inst: &Instruction) -> Vec<&str> {
    match inst {
        Instruction::Copy(c) => c.from.as_deref().into_iter().collect(),
        Instruction::Run(r) => r.mounts.iter().filter_map(Mount::from).collect(),
        _ => Vec::new(),
    }
}

/// A `--from` value names a stage (by name or index) or else an image.
fn resolve_ref(
    r: &str,
    names: &[Option<&str>],
    inst: &Located<Instruction>,
) -> Result<Option<usize>, PlanError> {
    let lower = r.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == Some(lower.as_str())) {
        return Ok(Some(i));
    }
    if !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()) {
        return match r.parse::<usize>() {
            Ok(i) if i < names.len() => Ok(Some(i)),
            _ => Err(PlanError::new(
                inst.line,
                inst.column,
                format!(
                    "stage index {r} is out of range: the Dockerfile has {} stage{}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" }
                ),
            )),
        };
    }
    Ok(None)
}
