//! Images and entries read back from a store.

use std::path::Path;

use super::cli::{ok, strata};

pub fn inspect(root: &Path, image: &str) -> serde_json::Value {
    let out = ok(strata(root).args(["inspect", image]));
    serde_json::from_str(&out).expect("inspect prints JSON")
}

pub fn diff_ids(root: &Path, image: &str) -> Vec<String> {
    inspect(root, image)["RootFS"]["diff_ids"]
        .as_array()
        .expect("diff_ids")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Number of entries in a store subdirectory.
pub fn count(root: &Path, sub: &str) -> usize {
    std::fs::read_dir(root.join(sub))
        .map(|d| d.count())
        .unwrap_or(0)
}
