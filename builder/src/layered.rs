//! The merged view of stacked overlay snapshots (an image's root
//! filesystem as a RUN step would see it), read without mounting anything:
//! the topmost layer wins, a character device 0:0 is a whiteout, a directory
//! marked opaque hides everything below it. The OCI forms count too, where
//! a layer holds them instead (fuse-overlayfs writes them when it cannot
//! mknod, and a layer tar says the same with them): a `.wh.NAME` file
//! deletes NAME, a `.wh..wh..opq` file makes its directory opaque, and
//! neither is itself an entry of the tree.

use std::collections::BTreeSet;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::layer_stack::LayerStack;
use crate::tree::{Node, Tree};

/// The merged view of a [`LayerStack`], read topmost layer first.
#[derive(Debug, Clone, Default)]
pub struct LayeredFs {
    stack: LayerStack,
}

impl LayeredFs {
    pub fn new(stack: LayerStack) -> Self {
        Self { stack }
    }

    pub fn stack(&self) -> &LayerStack {
        &self.stack
    }

    /// A view with `top` stacked over this one.
    pub fn with_top(&self, top: PathBuf) -> Self {
        Self {
            stack: self.stack.with_top(top),
        }
    }
}

pub fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

pub fn is_opaque(dir: &Path) -> bool {
    strata_store::layer::has_opaque_xattr(dir)
        || std::fs::symlink_metadata(dir.join(OPAQUE_MARKER)).is_ok()
}

/// Whether `dir` (a host dir of one layer) holds a `.wh.NAME` file for
/// `name`.
fn whited_out_by_name(dir: &Path, name: &str) -> bool {
    std::fs::symlink_metadata(dir.join(format!("{WHITEOUT_PREFIX}{name}"))).is_ok()
}

fn host(layer: &Path, rel: &str) -> PathBuf {
    if rel == "." {
        layer.to_path_buf()
    } else {
        layer.join(rel)
    }
}

/// What one layer says about a path.
enum Seen {
    /// The path is here.
    Found(Node),
    /// The path is deleted or shadowed here: nothing below counts.
    Hidden,
    /// Not in this layer; look further down.
    Absent,
    /// Not in this layer, and an opaque ancestor hides the layers below.
    AbsentOpaque,
}

fn look(layer: &Path, rel: &str) -> Seen {
    let mut opaque = false;
    let mut parent = layer.to_path_buf();
    let parts: Vec<&str> = if rel == "." {
        Vec::new()
    } else {
        rel.split('/').collect()
    };
    if let Some((last, ancestors)) = parts.split_last() {
        for name in ancestors {
            let anc = parent.join(name);
            match std::fs::symlink_metadata(&anc) {
                Ok(m) if m.is_dir() => opaque |= is_opaque(&anc),
                Ok(_) => return Seen::Hidden,
                // Nothing deeper is in this layer either.
                Err(_) if whited_out_by_name(&parent, name) => return Seen::Hidden,
                Err(_) if opaque => return Seen::AbsentOpaque,
                Err(_) => return Seen::Absent,
            }
            parent = anc;
        }
        if last.starts_with(WHITEOUT_PREFIX) {
            // A marker, not an entry.
            return Seen::Hidden;
        }
    }
    let here = host(layer, rel);
    match std::fs::symlink_metadata(&here) {
        Ok(meta) if is_whiteout(&meta) => Seen::Hidden,
        Ok(meta) => Seen::Found(Node { host: here, meta }),
        Err(_) if parts.last().is_some_and(|n| whited_out_by_name(&parent, n)) => Seen::Hidden,
        Err(_) if opaque => Seen::AbsentOpaque,
        Err(_) => Seen::Absent,
    }
}

impl Tree for LayeredFs {
    fn lstat(&self, rel: &str) -> Option<Node> {
        for layer in self.stack.topmost_first() {
            match look(layer, rel) {
                Seen::Found(node) => return Some(node),
                Seen::Hidden | Seen::AbsentOpaque => return None,
                Seen::Absent => {}
            }
        }
        None
    }

    fn children(&self, rel: &str) -> io::Result<Vec<String>> {
        let mut names = BTreeSet::new();
        let mut hidden = BTreeSet::new();
        for layer in self.stack.topmost_first() {
            let dir = match look(layer, rel) {
                Seen::Found(node) if node.meta.is_dir() => node.host,
                Seen::Found(_) | Seen::Hidden | Seen::AbsentOpaque => break,
                Seen::Absent => continue,
            };
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(gone) = name.strip_prefix(WHITEOUT_PREFIX) {
                    // The opaque marker is seen by is_opaque below.
                    if name != OPAQUE_MARKER && !names.contains(gone) {
                        hidden.insert(gone.to_string());
                    }
                    continue;
                }
                if hidden.contains(&name) || names.contains(&name) {
                    continue;
                }
                if is_whiteout(&entry.metadata()?) {
                    hidden.insert(name);
                } else {
                    names.insert(name);
                }
            }
            if is_opaque(&dir) {
                break;
            }
        }
        Ok(names.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn whiteout(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    #[test]
    fn top_layer_wins_and_whiteouts_hide() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        fs::create_dir_all(low.join("etc")).unwrap();
        fs::create_dir_all(top.join("etc")).unwrap();
        fs::write(low.join("etc/a"), "low").unwrap();
        fs::write(low.join("etc/b"), "low").unwrap();
        fs::write(top.join("etc/a"), "top").unwrap();
        whiteout(&top.join("etc/b"));
        let fs_view = LayeredFs::new(LayerStack::lowest_first(vec![low.clone(), top.clone()]));
        let a = fs_view.lstat("etc/a").unwrap();
        assert_eq!(fs::read_to_string(a.host).unwrap(), "top");
        assert!(fs_view.lstat("etc/b").is_none());
        assert_eq!(fs_view.children("etc").unwrap(), vec!["a"]);
    }

    #[test]
    fn oci_whiteout_files_and_opaque_markers_hide_what_is_below() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        fs::create_dir_all(low.join("etc")).unwrap();
        fs::create_dir_all(low.join("var/lib")).unwrap();
        fs::create_dir_all(low.join("opt")).unwrap();
        fs::write(low.join("etc/group"), "").unwrap();
        fs::write(low.join("etc/passwd"), "").unwrap();
        fs::write(low.join("var/lib/x"), "").unwrap();
        fs::write(low.join("opt/old"), "").unwrap();
        fs::create_dir_all(top.join("etc")).unwrap();
        fs::create_dir_all(top.join("opt")).unwrap();
        fs::write(top.join("etc/.wh.group"), "").unwrap();
        fs::write(top.join(".wh.var"), "").unwrap();
        fs::write(top.join("opt/.wh..wh..opq"), "").unwrap();
        fs::write(top.join("opt/new"), "").unwrap();
        let view = LayeredFs::new(LayerStack::lowest_first(vec![low, top]));
        assert!(view.lstat("etc/group").is_none());
        assert!(view.lstat("etc/passwd").is_some());
        assert!(view.lstat("var/lib/x").is_none());
        assert!(view.lstat("var").is_none());
        assert!(view.lstat("opt/old").is_none());
        assert!(
            view.lstat("etc/.wh.group").is_none(),
            "a marker is no entry"
        );
        assert_eq!(view.children("etc").unwrap(), vec!["passwd"]);
        assert_eq!(view.children("opt").unwrap(), vec!["new"]);
        assert_eq!(view.children(".").unwrap(), vec!["etc", "opt"]);
    }

    #[test]
    fn a_file_over_a_directory_hides_its_contents() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        fs::create_dir_all(low.join("d")).unwrap();
        fs::write(low.join("d/x"), "").unwrap();
        fs::create_dir_all(&top).unwrap();
        fs::write(top.join("d"), "file now").unwrap();
        let view = LayeredFs::new(LayerStack::lowest_first(vec![low, top]));
        assert!(view.lstat("d/x").is_none());
        assert!(view.lstat("d").unwrap().meta.is_file());
    }
}
