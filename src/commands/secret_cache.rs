//! The `cache=content` field of `build --secret` (docker/buildx#551): taken
//! out of each spec before the spec is read as usual, and the ids that had
//! it collected, so the builder keys their steps by a keyed hash of the
//! secret's content.

use std::collections::BTreeSet;

use super::build_failure::Failure;

/// The specs without their `cache=` field, and the ids with `cache=content`.
/// `cache=none` is the default (BuildKit's: a secret never enters a key).
pub(super) fn split(raw: &[String]) -> Result<(Vec<String>, BTreeSet<String>), Failure> {
    let mut specs = Vec::new();
    let mut keyed = BTreeSet::new();
    for s in raw {
        let mut by_content = false;
        let mut id = None;
        let mut kept = Vec::new();
        for field in s.split(',') {
            match field.split_once('=') {
                Some(("cache", "content")) => by_content = true,
                Some(("cache", "none")) => {}
                Some(("cache", other)) => {
                    return Err(Failure::Usage(format!(
                        "--secret {s:?}: cache must be content or none, not {other:?}"
                    )));
                }
                Some(("id", v)) => {
                    id = Some(v.to_string());
                    kept.push(field);
                }
                _ => kept.push(field),
            }
        }
        if by_content && let Some(id) = id {
            keyed.insert(id);
        }
        specs.push(kept.join(","));
    }
    Ok((specs, keyed))
}
