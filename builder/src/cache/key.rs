//! A step's cache key (ARCHITECTURE.md "Cache keys"): sha256 over the
//! parent (previous step's key, or the base image's manifest digest), the
//! instruction in canonical form after expansion, the build args and env a
//! RUN runs with (other steps see them only through their expansion), the
//! digest of its sources and anything else that changes the result
//! (mounts, network). The inputs are kept beside the key so
//! `cache inspect` and `--explain-cache` can show what went in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::field_hasher::FieldHasher;
use strata_store::Digest;

/// What a step builds on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Parent {
    Scratch,
    /// The manifest digest of a base image.
    Image(String),
    /// The key of the previous step.
    Step(Digest),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInputs {
    pub parent: Parent,
    /// The instruction as canonical text after variable expansion.
    pub instruction: String,
    /// Build args and env a RUN runs with, sorted by name; empty for other
    /// steps.
    pub env: BTreeMap<String, String>,
    /// Digest of the selected sources of COPY/ADD (see `CopyPlan::digest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Digest>,
    /// What `sources` was made of, one line per entry (context path, or
    /// destination when the source is not the context), so a miss can name
    /// the file that changed. Not hashed again: `sources` covers it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// Anything else that decides the result: `mount.0` -> its spec,
    /// `network` -> mode, `secret.x` -> digest, ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

/// Bumped when the meaning of a key changes, so old records stop matching.
const KEY_VERSION: &str = "strata-step-key-v1";

impl KeyInputs {
    pub fn key(&self) -> Digest {
        let mut h = FieldHasher::new();
        h.field(KEY_VERSION);
        match &self.parent {
            Parent::Scratch => h.field("scratch"),
            Parent::Image(d) => h.field("image").field(d),
            Parent::Step(k) => h.field("step").field(k.to_string()),
        };
        h.field(&self.instruction);
        h.field((self.env.len() as u64).to_le_bytes());
        for (k, v) in &self.env {
            h.field(k).field(v);
        }
        h.field(self.sources.map(|s| s.to_string()).unwrap_or_default());
        h.field((self.extra.len() as u64).to_le_bytes());
        for (k, v) in &self.extra {
            h.field(k).field(v);
        }
        h.finish()
    }

    /// The inputs that differ from `other`, named for a person:
    /// `parent`, `instruction`, `env FOO`, `file app/main.c`, `sources`,
    /// `extra mount.0`.
    pub fn differences(&self, other: &KeyInputs) -> Vec<String> {
        let mut out = Vec::new();
        if self.parent != other.parent {
            out.push("parent".to_string());
        }
        if self.instruction != other.instruction {
            out.push("instruction".to_string());
        }
        diff_maps("env", &self.env, &other.env, &mut out);
        if self.sources != other.sources {
            let before = out.len();
            diff_maps("file", &self.files, &other.files, &mut out);
            // Same entries, different digest: something the per-file view
            // does not show (an owner of a parent dir, say).
            if out.len() == before {
                out.push("sources".to_string());
            }
        }
        diff_maps("extra", &self.extra, &other.extra, &mut out);
        out
    }
}

fn diff_maps(
    what: &str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    out: &mut Vec<String>,
) {
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        if a.get(name) != b.get(name) {
            out.push(format!("{what} {name}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> KeyInputs {
        KeyInputs {
            parent: Parent::Image("sha256:abc".into()),
            instruction: "RUN echo hi".into(),
            env: BTreeMap::from([("A".into(), "1".into())]),
            sources: None,
            files: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn every_input_changes_the_key() {
        let base = inputs();
        let k = base.key();
        assert_eq!(k, inputs().key(), "deterministic");
        let mut v = inputs();
        v.parent = Parent::Scratch;
        assert_ne!(v.key(), k);
        let mut v = inputs();
        v.instruction = "RUN echo ho".into();
        assert_ne!(v.key(), k);
        let mut v = inputs();
        v.env.insert("A".into(), "2".into());
        assert_ne!(v.key(), k);
        let mut v = inputs();
        v.sources = Some(Digest::of(b"x"));
        assert_ne!(v.key(), k);
        let mut v = inputs();
        v.extra.insert("network".into(), "none".into());
        assert_ne!(v.key(), k);
    }

    #[test]
    fn differences_name_the_changed_inputs() {
        let mut v = inputs();
        v.env.insert("B".into(), "x".into());
        v.sources = Some(Digest::of(b"x"));
        assert_eq!(v.differences(&inputs()), vec!["env B", "sources"]);
    }

    #[test]
    fn a_changed_source_is_named_by_its_file() {
        let mut a = inputs();
        a.sources = Some(Digest::of(b"1"));
        a.files = BTreeMap::from([
            ("app/a.txt".into(), "file sha256:1".into()),
            ("app/b.txt".into(), "file sha256:2".into()),
        ]);
        let mut b = a.clone();
        b.sources = Some(Digest::of(b"2"));
        b.files.insert("app/b.txt".into(), "file sha256:3".into());
        assert_eq!(b.differences(&a), vec!["file app/b.txt"]);
        b.files.remove("app/a.txt");
        assert_eq!(b.differences(&a), vec!["file app/a.txt", "file app/b.txt"]);
    }

    /// The hashing of the inputs itself: a change here changes every key
    /// and must bump `KEY_VERSION`.
    #[test]
    fn the_key_of_fixed_inputs_is_pinned() {
        let mut v = inputs();
        v.parent = Parent::Step(Digest::of(b"parent"));
        v.sources = Some(Digest::of(b"sources"));
        v.extra = BTreeMap::from([
            ("network".into(), "none".into()),
            ("workdir".into(), "/".into()),
        ]);
        assert_eq!(
            v.key().to_string(),
            "sha256:49e9dd257a8d087142ba04b133ba0cf2e3136bae0e3078b693b169de71a11c67"
        );
        assert_eq!(
            inputs().key().to_string(),
            "sha256:77a6263fe91d340914df7d72274cc3a935f08a41ee5d05354b5332368482e30a"
        );
    }

    #[test]
    fn files_do_not_change_the_key() {
        let mut v = inputs();
        v.files.insert("x".into(), "y".into());
        assert_eq!(v.key(), inputs().key());
    }
}
