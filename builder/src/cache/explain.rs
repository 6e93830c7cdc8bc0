//! `build --explain-cache`: for a step that missed, which input differs
//! from the nearest earlier record of the same step (same Dockerfile and
//! stage, same line or same text; failing that, the same stage, line and
//! text in another Dockerfile), most recently used first.

use super::key::{KeyInputs, Parent};
use super::record::CacheDir;

/// Where the step is, to find its earlier records.
#[derive(Debug, Clone)]
pub struct StepPlace<'a> {
    pub dockerfile: &'a str,
    pub stage: &'a str,
    pub line: usize,
    pub text: &'a str,
}

/// One sentence for a person: `changed: file app.txt, build arg V`, or
/// `changed: parent (an earlier step changed)` when only the chain did.
/// `args` are the build args the step sees (the rest of its env is ENV).
pub fn explain(cache: &CacheDir, place: &StepPlace, inputs: &KeyInputs, args: &[String]) -> String {
    let Ok(records) = cache.list() else {
        return "the cache could not be read".to_string();
    };
    let latest = |same_file: bool| {
        records
            .iter()
            .filter(|r| {
                r.origin.stage == place.stage
                    && if same_file {
                        r.origin.dockerfile == place.dockerfile
                            && (r.origin.line == place.line || r.origin.text == place.text)
                    } else {
                        // A copy of the Dockerfile elsewhere: the same step
                        // at the same line.
                        r.origin.line == place.line && r.origin.text == place.text
                    }
            })
            .max_by_key(|r| (r.last_used, r.created))
    };
    let nearest = latest(true).or_else(|| latest(false));
    let Some(earlier) = nearest else {
        return "no earlier record of this step".to_string();
    };
    // The list holds records without their per-file view: read it now.
    let earlier = match cache.get(&earlier.key) {
        Ok(Some(full)) => full,
        _ => earlier.clone(),
    };
    let mut diffs = inputs.differences(&earlier.inputs);
    // The step's own inputs are the nearest cause. An ARG or ENV before it
    // changes both them and the parent chain, and an earlier step that
    // changed has its own explanation above: name the parent only when
    // nothing of the step itself changed.
    if diffs.len() > 1 {
        diffs.retain(|d| d != "parent");
    }
    if diffs.is_empty() {
        return "the earlier record's snapshot is gone".to_string();
    }
    let named: Vec<String> = diffs.into_iter().map(|d| name(&d, inputs, args)).collect();
    format!("changed: {}", named.join(", "))
}

fn name(diff: &str, inputs: &KeyInputs, args: &[String]) -> String {
    if diff == "parent" {
        return match inputs.parent {
            Parent::Step(_) => "parent (an earlier step changed)".to_string(),
            Parent::Image(_) => "parent (the base image changed)".to_string(),
            Parent::Scratch => "parent (now scratch)".to_string(),
        };
    }
    if let Some(var) = diff.strip_prefix("env ") {
        return if args.iter().any(|a| a == var) {
            format!("build arg {var}")
        } else {
            format!("env {var}")
        };
    }
    if let Some(extra) = diff.strip_prefix("extra ") {
        return extra.to_string();
    }
    diff.to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use strata_store::Store;

    use super::*;
    use crate::cache::record::{CacheRecord, StepOrigin};
    use strata_store::Digest;

    fn inputs(v: &str) -> KeyInputs {
        KeyInputs {
            parent: Parent::Step(Digest::of(b"p")),
            instruction: "RUN make".into(),
            env: BTreeMap::from([("V".into(), v.into()), ("PATH".into(), "/bin".into())]),
            sources: None,
            files: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn a_changed_build_arg_and_parent_are_named() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let cache = CacheDir::open(&store).unwrap();
        let origin = StepOrigin {
            dockerfile: "Dockerfile".into(),
            stage: "s".into(),
            line: 3,
            text: "RUN make".into(),
        };
        cache
            .put(&CacheRecord::new(inputs("1"), origin.clone(), None))
            .unwrap();
        let place = StepPlace {
            dockerfile: "Dockerfile",
            stage: "s",
            line: 3,
            text: "RUN make",
        };
        let args = vec!["V".to_string()];
        assert_eq!(
            explain(&cache, &place, &inputs("2"), &args),
            "changed: build arg V"
        );
        let mut both = inputs("2");
        both.parent = Parent::Step(Digest::of(b"q"));
        assert_eq!(
            explain(&cache, &place, &both, &args),
            "changed: build arg V",
            "the step's own change is the nearer cause"
        );
        let mut moved = inputs("1");
        moved.parent = Parent::Step(Digest::of(b"q"));
        assert_eq!(
            explain(&cache, &place, &moved, &args),
            "changed: parent (an earlier step changed)"
        );
        let other = StepPlace {
            stage: "t",
            ..place
        };
        assert_eq!(
            explain(&cache, &other, &inputs("2"), &args),
            "no earlier record of this step"
        );
    }
}
