//! A read-only view of a file tree that COPY/ADD read from and resolve
//! destinations in: the build context, or an image's stacked snapshots.
//! Paths are clean, relative, slash-separated; `.` is the root.

use std::fs::Metadata;
use std::io;
use std::path::PathBuf;

/// One entry of a tree: where it lives on the host and its metadata (not
/// following a final symlink).
#[derive(Debug, Clone)]
pub struct Node {
    pub host: PathBuf,
    pub meta: Metadata,
}

pub trait Tree: Sync {
    /// The entry at `rel`, not following a final symlink; `None` when it
    /// does not exist or is hidden (ignored, whited out).
    fn lstat(&self, rel: &str) -> Option<Node>;
    /// The visible names inside directory `rel`, sorted.
    fn children(&self, rel: &str) -> io::Result<Vec<String>>;

    /// The visible entries inside directory `rel` with their nodes, sorted
    /// by name; an entry that vanishes meanwhile is left out. Trees that can
    /// stat an entry more cheaply while listing its directory override it.
    fn entries(&self, rel: &str) -> io::Result<Vec<(String, Node)>> {
        Ok(self
            .children(rel)?
            .into_iter()
            .filter_map(|name| {
                let node = self.lstat(&join(rel, &name))?;
                Some((name, node))
            })
            .collect())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("too many levels of symbolic links resolving {0}")]
    Loop(String),
    #[error("reading symlink {path}: {source}")]
    ReadLink {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl<T: Tree + ?Sized> Tree for &T {
    fn lstat(&self, rel: &str) -> Option<Node> {
        (**self).lstat(rel)
    }
    fn children(&self, rel: &str) -> io::Result<Vec<String>> {
        (**self).children(rel)
    }
    fn entries(&self, rel: &str) -> io::Result<Vec<(String, Node)>> {
        (**self).entries(rel)
    }
}

/// Joins a relative tree path and a name.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Resolves symlinks in `rel` inside the tree, the way a chroot would: an
/// absolute target restarts at the tree's root and `..` stops at the root,
/// so nothing outside the tree is ever reached. The last component is
/// followed only when `follow_last`. Missing components are kept as they
/// are (a destination may not exist yet).
pub fn resolve(tree: &dyn Tree, rel: &str, follow_last: bool) -> Result<String, ResolveError> {
    let mut pending: Vec<String> = components(rel).into_iter().rev().collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            done.pop();
            continue;
        }
        done.push(part);
        let is_last = pending.is_empty();
        let here = done.join("/");
        let Some(node) = tree.lstat(&here) else {
            continue;
        };
        if !node.meta.file_type().is_symlink() || (is_last && !follow_last) {
            continue;
        }
        hops += 1;
        if hops > 40 {
            return Err(ResolveError::Loop(rel.to_string()));
        }
        let target = std::fs::read_link(&node.host).map_err(|source| ResolveError::ReadLink {
            path: node.host.clone(),
            source,
        })?;
        let target = target.to_string_lossy().into_owned();
        done.pop();
        if target.starts_with('/') {
            done.clear();
        }
        pending.extend(components(&target).into_iter().rev());
    }
    Ok(if done.is_empty() {
        ".".to_string()
    } else {
        done.join("/")
    })
}

fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(str::to_string)
        .collect()
}

/// A plain directory as a tree: everything visible.
#[derive(Debug, Clone)]
pub struct PlainDir(pub PathBuf);

impl PlainDir {
    pub fn new(path: &std::path::Path) -> Self {
        Self(path.to_path_buf())
    }

    fn host(&self, rel: &str) -> PathBuf {
        if rel == "." {
            self.0.clone()
        } else {
            self.0.join(rel)
        }
    }
}

impl Tree for PlainDir {
    fn lstat(&self, rel: &str) -> Option<Node> {
        let host = self.host(rel);
        let meta = std::fs::symlink_metadata(&host).ok()?;
        Some(Node { host, meta })
    }

    fn children(&self, rel: &str) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.host(rel))? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    pub use super::PlainDir as Dir;
}

#[cfg(test)]
mod tests {
    use super::testing::Dir;
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_never_leave_the_tree() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        symlink("/etc", t.path().join("abs")).unwrap();
        symlink("../../../../etc", t.path().join("up")).unwrap();
        let tree = Dir::new(t.path());
        assert_eq!(resolve(&tree, "abs/passwd", true).unwrap(), "etc/passwd");
        assert_eq!(resolve(&tree, "up/passwd", true).unwrap(), "etc/passwd");
        assert_eq!(resolve(&tree, "abs", false).unwrap(), "abs");
    }

    #[test]
    fn loops_are_reported_not_followed_forever() {
        let t = tempfile::tempdir().unwrap();
        symlink("b", t.path().join("a")).unwrap();
        symlink("a", t.path().join("b")).unwrap();
        assert!(matches!(
            resolve(&Dir::new(t.path()), "a/x", true),
            Err(ResolveError::Loop(_))
        ));
    }
}
