//! The build context: a directory filtered by its .dockerignore, seen as a
//! [`Tree`]. Symlinks are entries of their own and are resolved only inside
//! the context (see [`crate::tree::resolve`]).

pub mod clean;
pub mod confined;
pub mod dockerignore;
pub mod remote;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::tree::{Node, Tree, join};
use dockerignore::{IgnoreRules, ParentMatches, PatternError, parents_of};

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("build context {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("build context {path} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error(transparent)]
    Ignore(#[from] PatternError),
    #[error(".dockerignore: {0}")]
    IgnoreFile(#[from] confined::ConfinedError),
}

#[derive(Debug)]
pub struct BuildContext {
    root: PathBuf,
    rules: IgnoreRules,
    /// Excluded directories the walker enters: whether anything inside is
    /// visible (they are part of the context only then).
    entered: Mutex<HashMap<String, bool>>,
}

impl BuildContext {
    /// Opens a context directory; reads `<root>/.dockerignore`, or
    /// `ignore_file` when given (docker's `Dockerfile.dockerignore`).
    pub fn open(root: &Path, ignore_file: Option<&Path>) -> Result<Self, ContextError> {
        Self::open_with(root, Some(ignore_file))
    }

    /// Opens a context directory whose `.dockerignore` does not apply.
    pub fn unfiltered(root: &Path) -> Result<Self, ContextError> {
        Self::open_with(root, None)
    }

    /// `ignore`: None reads no ignore file; Some(None) the context's own.
    fn open_with(root: &Path, ignore: Option<Option<&Path>>) -> Result<Self, ContextError> {
        let open_err = |source| ContextError::Open {
            path: root.to_path_buf(),
            source,
        };
        let root = root.canonicalize().map_err(open_err)?;
        if !root.is_dir() {
            return Err(ContextError::NotADirectory { path: root });
        }
        // Confined to the directory it is found in: the context's own, or
        // the one holding the Dockerfile it sits beside.
        let (dir, name) = match ignore {
            None => {
                return Ok(Self {
                    root,
                    rules: IgnoreRules::default(),
                    entered: Mutex::default(),
                });
            }
            Some(Some(file)) => (
                file.parent().unwrap_or(Path::new(".")).to_path_buf(),
                PathBuf::from(file.file_name().unwrap_or_default()),
            ),
            Some(None) => (root.clone(), PathBuf::from(".dockerignore")),
        };
        let rules = match confined::read_confined(&dir, &name)? {
            Some(bytes) => IgnoreRules::parse(&String::from_utf8_lossy(&bytes))?,
            None => IgnoreRules::default(),
        };
        Ok(Self {
            root,
            rules,
            entered: Mutex::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn rules(&self) -> &IgnoreRules {
        &self.rules
    }

    fn host(&self, rel: &str) -> PathBuf {
        if rel == "." {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// Whether `rel` is visible, as BuildKit's context walker decides it
    /// (fsutil's `filterFS.Walk`): matched with what its parents matched,
    /// never inside an excluded directory the walker skips, and an
    /// excluded directory it enters only when something inside is sent.
    fn visible(&self, rel: &str, is_dir: bool) -> bool {
        if rel == "." || self.rules.is_empty() {
            return true;
        }
        let mut parent = ParentMatches::default();
        for dir in parents_of(rel) {
            let (excluded, matches) = self.rules.matches_under(dir, &parent);
            if excluded && self.rules.skips_excluded_dir(dir) {
                return false;
            }
            parent = matches;
        }
        let (excluded, matches) = self.rules.matches_under(rel, &parent);
        !excluded || (is_dir && self.sends_inside(rel, &matches))
    }

    /// Whether excluded directory `dir` holds a visible entry.
    fn sends_inside(&self, dir: &str, matches: &ParentMatches) -> bool {
        if self.rules.skips_excluded_dir(dir) {
            return false;
        }
        let known = self
            .entered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(dir)
            .copied();
        if let Some(known) = known {
            return known;
        }
        let found = self.any_visible_inside(dir, matches);
        self.entered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(dir.to_string(), found);
        found
    }

    fn any_visible_inside(&self, dir: &str, matches: &ParentMatches) -> bool {
        let Ok(entries) = std::fs::read_dir(self.host(dir)) else {
            return false;
        };
        entries.flatten().any(|entry| {
            let child = join(dir, &entry.file_name().to_string_lossy());
            let (excluded, below) = self.rules.matches_under(&child, matches);
            !excluded
                || (entry.file_type().is_ok_and(|t| t.is_dir())
                    && self.sends_inside(&child, &below))
        })
    }
}

impl Tree for BuildContext {
    fn lstat(&self, rel: &str) -> Option<Node> {
        let host = self.host(rel);
        let meta = std::fs::symlink_metadata(&host).ok()?;
        self.visible(rel, meta.is_dir())
            .then_some(Node { host, meta })
    }

    fn children(&self, rel: &str) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.host(rel))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type()?.is_dir();
            if self.visible(&join(rel, &name), is_dir) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Stats each entry relative to the open directory (no walk of the
    /// whole path per file): on a large context these stats are most of an
    /// unchanged rebuild.
    fn entries(&self, rel: &str) -> io::Result<Vec<(String, Node)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.host(rel))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type()?.is_dir();
            if !self.visible(&join(rel, &name), is_dir) {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            out.push((
                name,
                Node {
                    host: entry.path(),
                    meta,
                },
            ));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn ignored_files_are_invisible_but_reincluded_ones_are_reachable() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::create_dir_all(root.join("docs/sub")).unwrap();
        fs::write(root.join("docs/a.md"), "").unwrap();
        fs::write(root.join("docs/sub/keep.md"), "").unwrap();
        fs::write(root.join("main.rs"), "").unwrap();
        fs::write(root.join("x.log"), "").unwrap();
        fs::write(
            root.join(".dockerignore"),
            "docs\n*.log\n!docs/sub/keep.md\n",
        )
        .unwrap();
        let ctx = BuildContext::open(root, None).unwrap();
        assert!(ctx.lstat("x.log").is_none());
        assert!(ctx.lstat("docs/a.md").is_none());
        assert!(ctx.lstat("docs/sub/keep.md").is_some());
        assert_eq!(
            ctx.children(".").unwrap(),
            vec![".dockerignore", "docs", "main.rs"]
        );
        assert_eq!(ctx.children("docs").unwrap(), vec!["sub"]);
        // Listing with stats shows exactly what children + lstat show.
        for dir in [".", "docs", "docs/sub"] {
            let listed: Vec<(String, PathBuf)> = ctx
                .entries(dir)
                .unwrap()
                .into_iter()
                .map(|(name, node)| (name, node.host))
                .collect();
            let one_by_one: Vec<(String, PathBuf)> = ctx
                .children(dir)
                .unwrap()
                .into_iter()
                .map(|name| {
                    let host = ctx.lstat(&join(dir, &name)).unwrap().host;
                    (name, host)
                })
                .collect();
            assert_eq!(listed, one_by_one, "in {dir}");
        }
    }
}
