//! Where every source entry lands: docker build's rules for wildcards,
//! directories (their contents are copied, not the directory itself),
//! trailing slashes, `--parents` and `--exclude`.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;

use filetime::FileTime;
use rayon::prelude::*;

use super::archive::is_archive;
use super::glob::{self, has_wildcards};
use super::{Chmod, CopyError, CopyPlan, Item, ItemKind, Owner};
use crate::context::clean::clean_relative;
use crate::context::dockerignore::IgnoreRules;
use crate::stat_cache::FileStamp;
use crate::tree::{Node, Tree, join, resolve};

/// A COPY/ADD with its words already expanded.
#[derive(Debug, Clone, Default)]
pub struct CopyRequest {
    pub sources: Vec<String>,
    pub dest: String,
    /// The image's working directory, for a relative destination.
    pub workdir: String,
    /// Resolved `--chown`; when absent, root, or the source's own owners
    /// under `keep_owners`.
    pub owner: Option<Owner>,
    /// Without `--chown`, copied entries keep the uid/gid they have in the
    /// source: BuildKit's copier does so (fsutil copyFileInfo with no chown
    /// function) for `COPY --from`; the context's files are sent as 0:0.
    pub keep_owners: bool,
    pub chmod: Option<Chmod>,
    /// `--exclude` patterns, matched like .dockerignore against paths
    /// relative to the source root.
    pub excludes: Vec<String>,
    /// `--parents`: keep each source's directories under the destination.
    pub parents: bool,
    /// ADD of a local file: unpack recognised tar archives.
    pub extract_archives: bool,
}

/// The mode of a directory the copy creates rather than copies.
const CREATED_DIR_MODE: u32 = 0o755;

/// An entry's final mode, mtime (after `--chmod`) and owner.
type MetaOf<'a> = dyn Fn(&Node) -> (u32, FileTime, Owner) + Sync + 'a;

/// One matched source: its path in the source tree (symlinks followed),
/// the name it was matched by (what the copy is named after, as
/// BuildKit's `prepareTargetDir` takes the base of the source, not of its
/// target), and the part of it `--parents` keeps.
struct Matched {
    /// Where `--parents` starts keeping directories (`.` without `/./`).
    pivot: String,
    rel: String,
    name: String,
    keep: String,
    node: Node,
}

/// Plans a copy from `src` into an image whose current root is `image`.
pub fn plan(src: &dyn Tree, image: &dyn Tree, req: &CopyRequest) -> Result<CopyPlan, CopyError> {
    let excludes = IgnoreRules::parse(&req.excludes.join("\n"))?;
    // Each source's matches, with the index of that source: hard links are
    // kept among the files of one source (BuildKit copies each source with
    // a copier of its own, a wildcard's matches with the same one).
    let mut matched = Vec::new();
    for (i, source) in req.sources.iter().enumerate() {
        let found = select(src, source, &excludes, !req.parents)?;
        matched.extend(found.into_iter().map(|m| (i, m)));
    }
    if matched.is_empty() {
        return Err(CopyError::NoMatch(req.sources.join(" ")));
    }

    let dest_abs = if req.dest.starts_with('/') {
        req.dest.clone()
    } else {
        format!("{}/{}", req.workdir.trim_end_matches('/'), req.dest)
    };
    let slash_dir = dest_abs.ends_with('/') || dest_abs.ends_with("/.") || req.dest == ".";
    let dest = resolve(image, &clean_relative(&dest_abs), true)?;
    let existing_dir = image.lstat(&dest).is_some_and(|n| n.meta.is_dir());
    let dest_is_dir = slash_dir || existing_dir || matched.len() > 1 || req.parents;
    if req.sources.len() > 1 && !slash_dir && !existing_dir {
        return Err(CopyError::DestNotDir(req.dest.clone()));
    }

    let owner = req.owner.unwrap_or_default();
    let mut out = CopyPlan {
        items: Vec::new(),
        parent_owner: owner,
    };
    let meta_of = |node: &Node| -> (u32, FileTime, Owner) {
        let mode = node.meta.mode() & 0o7777;
        let mode = match &req.chmod {
            Some(c) => c.apply(mode, node.meta.is_dir()),
            None => mode,
        };
        let owner = match req.owner {
            None if req.keep_owners => Owner {
                uid: node.meta.uid(),
                gid: node.meta.gid(),
            },
            _ => owner,
        };
        (
            mode,
            FileTime::from_last_modification_time(&node.meta),
            owner,
        )
    };
    let mut links = HardLinks::default();
    for (source, m) in matched {
        links.start_source(source);
        let kept = req.parents && m.keep != ".";
        let base = if kept {
            out.items.extend(kept_parents(src, &m, &dest, &meta_of)?);
            join_rel(&dest, &m.keep)
        } else {
            dest.clone()
        };
        if m.node.meta.is_dir() {
            // Only the contents of a directory source are copied: the
            // directory they land in is made by the copy, 0755 like the
            // other directories it creates (BuildKit's prepareTargetDir),
            // and one that exists keeps its own metadata (merge). Under
            // `--parents` it is one of the source's directories, copied.
            let (mode, mtime, dir_owner) = if kept {
                meta_of(&m.node)
            } else {
                let mtime = FileTime::from_last_modification_time(&m.node.meta);
                (CREATED_DIR_MODE, mtime, owner)
            };
            out.items.push(Item {
                dest: base.clone(),
                kind: ItemKind::Dir,
                mode,
                owner: dir_owner,
                mtime,
                merge: !kept,
            });
            let below = walk(src, &excludes, &m.rel, &m.rel, &base, &meta_of)?;
            out.items
                .extend(below.into_iter().map(|p| links.link(p.item, p.inode)));
            continue;
        }
        let name = m.name;
        if req.extract_archives && m.node.meta.is_file() && is_archive(&m.node.host) {
            let (mode, mtime, owner) = meta_of(&m.node);
            out.items.push(Item {
                dest: if kept { parent_of(&base) } else { dest.clone() },
                kind: ItemKind::Archive {
                    host: m.node.host,
                    chown: req.owner,
                },
                mode,
                owner,
                mtime,
                merge: true,
            });
            continue;
        }
        let target = if kept {
            base
        } else if dest_is_dir {
            join_rel(&dest, &name)
        } else {
            dest.clone()
        };
        if let Some(p) = entry_item(&m.node, target, &meta_of)? {
            out.items.push(links.link(p.item, p.inode));
        }
    }
    Ok(out)
}

/// The directories `--parents` keeps above a match (those between the
/// pivot and it), copied from the source with their metadata, as
/// BuildKit's copier creates the parents of an included path.
fn kept_parents(
    src: &dyn Tree,
    m: &Matched,
    dest: &str,
    meta_of: &MetaOf<'_>,
) -> Result<Vec<Item>, CopyError> {
    let mut items = Vec::new();
    let mut kept = String::from(".");
    let parts: Vec<&str> = m.keep.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        kept = join(&kept, part);
        let rel = resolve(src, &join(&m.pivot, &kept), true)?;
        let Some(node) = src.lstat(&rel).filter(|n| n.meta.is_dir()) else {
            continue;
        };
        let (mode, mtime, owner) = meta_of(&node);
        items.push(Item {
            dest: join_rel(dest, &kept),
            kind: ItemKind::Dir,
            mode,
            owner,
            mtime,
            merge: false,
        });
    }
    Ok(items)
}

/// An item, and the inode of its source file when other names link to it.
struct Planned {
    item: Item,
    inode: Option<(u64, u64)>,
}

/// The first destination of each multiply-linked source inode, for the
/// source being planned.
#[derive(Default)]
struct HardLinks {
    source: usize,
    first: HashMap<(u64, u64), String>,
}

impl HardLinks {
    fn start_source(&mut self, source: usize) {
        if source != self.source {
            self.source = source;
            self.first.clear();
        }
    }

    /// `item`, made a link to the first copy of its inode if there was one.
    fn link(&mut self, mut item: Item, inode: Option<(u64, u64)>) -> Item {
        let Some(inode) = inode else {
            return item;
        };
        match self.first.get(&inode) {
            Some(first) => {
                if let ItemKind::File { hardlink_of, .. } = &mut item.kind {
                    *hardlink_of = Some(first.clone());
                }
            }
            None => {
                self.first.insert(inode, item.dest.clone());
            }
        }
        item
    }
}

fn join_rel(dir: &str, rel: &str) -> String {
    clean_relative(&format!("{dir}/{rel}"))
}

/// The last component of a clean relative path.
fn base_name(rel: &str) -> String {
    rel.rsplit('/').next().unwrap_or(rel).to_string()
}

fn parent_of(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((p, _)) => p.to_string(),
        None => ".".to_string(),
    }
}

/// The item for a non-directory entry; `None` for sockets and the like,
/// which images do not carry.
fn entry_item(
    node: &Node,
    dest: String,
    meta_of: &MetaOf<'_>,
) -> Result<Option<Planned>, CopyError> {
    let ft = node.meta.file_type();
    let kind = if ft.is_file() {
        ItemKind::File {
            host: node.host.clone(),
            stamp: FileStamp::of(&node.meta),
            hardlink_of: None,
        }
    } else if ft.is_symlink() {
        let target = std::fs::read_link(&node.host).map_err(CopyError::io(&node.host))?;
        ItemKind::Symlink { target }
    } else if ft.is_dir() {
        ItemKind::Dir
    } else {
        return Ok(None);
    };
    let (mode, mtime, owner) = meta_of(node);
    let inode = (ft.is_file() && node.meta.nlink() > 1).then(|| (node.meta.dev(), node.meta.ino()));
    Ok(Some(Planned {
        item: Item {
            dest,
            kind,
            mode,
            owner,
            mtime,
            merge: false,
        },
        inode,
    }))
}

/// Every visible entry under source dir `rel` (pre-order, sorted).
/// `--exclude` patterns are anchored at `top`, the source being copied.
/// Subdirectories are walked on rayon's threads: a large context is
/// thousands of directories whose listing and stats would otherwise run one
/// after the other.
fn walk(
    src: &dyn Tree,
    excludes: &IgnoreRules,
    top: &str,
    rel: &str,
    dest: &str,
    meta_of: &MetaOf<'_>,
) -> Result<Vec<Planned>, CopyError> {
    // The directory's host path only matters for the error message.
    let entries = src
        .entries(rel)
        .map_err(|e| CopyError::io(src.lstat(rel).map(|n| n.host).unwrap_or_default())(e))?;
    let parts = entries
        .into_par_iter()
        .map(|(name, node)| -> Result<Vec<Planned>, CopyError> {
            let child = join(rel, &name);
            let is_dir = node.meta.is_dir();
            let under_top = if top == "." {
                child.as_str()
            } else {
                child
                    .strip_prefix(top)
                    .and_then(|r| r.strip_prefix('/'))
                    .unwrap_or(&child)
            };
            if excludes.excludes(under_top) && !(is_dir && excludes.may_reinclude_under(under_top))
            {
                return Ok(Vec::new());
            }
            // `dest` is clean and a listed name is one plain component:
            // joining them is already clean (no clean_relative per file).
            let child_dest = join(dest, &name);
            if !is_dir {
                return Ok(entry_item(&node, child_dest, meta_of)?
                    .into_iter()
                    .collect());
            }
            let mut items = Vec::new();
            if let Some(item) = entry_item(&node, child_dest.clone(), meta_of)? {
                items.push(item);
            }
            let below = walk(src, excludes, top, &child, &child_dest, meta_of)?;
            items.extend(below);
            Ok(items)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.into_iter().flatten().collect())
}

/// The entries a source names: one without wildcards (following symlinks
/// inside the tree), any number with them. A symlink the source names
/// last is followed when `follow`: BuildKit follows a COPY source, but
/// under `--parents` the source is a pattern matched inside the copy's
/// root, and what it matches is copied as it is.
fn select(
    src: &dyn Tree,
    source: &str,
    excludes: &IgnoreRules,
    follow: bool,
) -> Result<Vec<Matched>, CopyError> {
    // `a/./b` marks where `--parents` starts keeping directories.
    let (pivot, rest) = match source.split_once("/./") {
        Some((before, after)) => (clean_relative(before), after.to_string()),
        None => (".".to_string(), source.to_string()),
    };
    let full = clean_relative(&format!("{pivot}/{rest}"));
    let keep_from = |rel: &str| -> String {
        if pivot == "." {
            rel.to_string()
        } else if rel == pivot {
            // `x/./` itself: nothing before the pivot is kept.
            ".".to_string()
        } else {
            rel.strip_prefix(&format!("{pivot}/"))
                .unwrap_or(rel)
                .to_string()
        }
    };
    if !has_wildcards(&full) {
        let rel = resolve(src, &full, follow)?;
        let node = src
            .lstat(&rel)
            .ok_or_else(|| CopyError::NotFound(source.to_string()))?;
        if full != "." && excludes.excludes(&full) && !node.meta.is_dir() {
            return Ok(Vec::new());
        }
        return Ok(vec![Matched {
            pivot: pivot.clone(),
            keep: keep_from(&full),
            name: base_name(&full),
            rel,
            node,
        }]);
    }
    let mut found = vec![".".to_string()];
    for part in full.split('/') {
        let mut next = Vec::new();
        for dir in &found {
            let dir_real = resolve(src, dir, true)?;
            if !src.lstat(&dir_real).is_some_and(|n| n.meta.is_dir()) {
                continue;
            }
            if !has_wildcards(part) {
                if src.lstat(&join(&dir_real, part)).is_some() {
                    next.push(join(dir, part));
                }
                continue;
            }
            let names = src
                .children(&dir_real)
                .map_err(CopyError::io(dir_real.clone()))?;
            for name in names {
                if glob::matches(part, &name)? {
                    next.push(join(dir, &name));
                }
            }
        }
        found = next;
    }
    let mut out = Vec::new();
    for rel_path in found {
        if excludes.excludes(&rel_path) {
            continue;
        }
        let rel = resolve(src, &rel_path, follow)?;
        if let Some(node) = src.lstat(&rel) {
            out.push(Matched {
                pivot: pivot.clone(),
                keep: keep_from(&rel_path),
                name: base_name(&rel_path),
                rel,
                node,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::testing::Dir;
    use std::fs;

    struct Fixture {
        _t: tempfile::TempDir,
        ctx: Dir,
        image: Dir,
    }

    fn fixture() -> Fixture {
        let t = tempfile::tempdir().unwrap();
        let c = t.path().join("ctx");
        fs::create_dir_all(c.join("dir/sub")).unwrap();
        fs::write(c.join("a.txt"), "a").unwrap();
        fs::write(c.join("b.txt"), "b").unwrap();
        fs::write(c.join("dir/x"), "x").unwrap();
        fs::write(c.join("dir/sub/y"), "y").unwrap();
        std::os::unix::fs::symlink("a.txt", c.join("link")).unwrap();
        let i = t.path().join("img");
        fs::create_dir_all(i.join("existing")).unwrap();
        Fixture {
            ctx: Dir::new(&c),
            image: Dir::new(&i),
            _t: t,
        }
    }

    /// Copy `sources` to `dest`, with no other option set.
    fn request(sources: &[&str], dest: &str) -> CopyRequest {
        CopyRequest {
            sources: sources.iter().map(|s| s.to_string()).collect(),
            dest: dest.into(),
            ..Default::default()
        }
    }

    /// Where each planned item lands.
    fn planned(f: &Fixture, req: &CopyRequest) -> Vec<String> {
        plan(&f.ctx, &f.image, req)
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.dest)
            .collect()
    }

    fn dests(f: &Fixture, sources: &[&str], dest: &str) -> Vec<String> {
        let req = CopyRequest {
            workdir: "/work".into(),
            ..request(sources, dest)
        };
        planned(f, &req)
    }

    #[test]
    fn a_file_to_a_path_or_into_a_directory() {
        let f = fixture();
        assert_eq!(dests(&f, &["a.txt"], "/new"), vec!["new"]);
        assert_eq!(dests(&f, &["a.txt"], "/new/"), vec!["new/a.txt"]);
        assert_eq!(dests(&f, &["a.txt"], "/existing"), vec!["existing/a.txt"]);
        assert_eq!(dests(&f, &["a.txt"], "rel"), vec!["work/rel"]);
        assert_eq!(dests(&f, &["a.txt"], "."), vec!["work/a.txt"]);
    }

    #[test]
    fn a_directory_copies_its_contents_not_itself() {
        let f = fixture();
        assert_eq!(
            dests(&f, &["dir"], "/d"),
            vec!["d", "d/sub", "d/sub/y", "d/x"]
        );
    }

    #[test]
    fn wildcards_and_several_sources_need_a_directory() {
        let f = fixture();
        assert_eq!(dests(&f, &["*.txt"], "/t"), vec!["t/a.txt", "t/b.txt"]);
        let req = request(&["a.txt", "b.txt"], "/file");
        assert!(matches!(
            plan(&f.ctx, &f.image, &req),
            Err(CopyError::DestNotDir(_))
        ));
        let req = request(&["*.nothing"], "/x/");
        assert!(matches!(
            plan(&f.ctx, &f.image, &req),
            Err(CopyError::NoMatch(_))
        ));
    }

    #[test]
    fn a_missing_source_is_an_error_and_a_symlink_source_is_followed() {
        let f = fixture();
        let req = request(&["nope"], "/x");
        assert!(matches!(
            plan(&f.ctx, &f.image, &req),
            Err(CopyError::NotFound(_))
        ));
        let req = request(&["link"], "/x");
        let p = plan(&f.ctx, &f.image, &req).unwrap();
        assert!(matches!(&p.items[0].kind, ItemKind::File { host, .. } if host.ends_with("a.txt")));
        // Into a directory, the copy is named after the link, not its
        // target; so is a wildcard's match.
        assert_eq!(dests(&f, &["link"], "/x/"), vec!["x/link"]);
        assert_eq!(dests(&f, &["l*"], "/x/"), vec!["x/link"]);
    }

    #[test]
    fn parents_keep_the_source_directories() {
        let f = fixture();
        let req = CopyRequest {
            parents: true,
            ..request(&["dir/sub/y", "./a.txt"], "/p/")
        };
        let got = planned(&f, &req);
        // The source's directories above each match come with it.
        assert_eq!(got, vec!["p/dir", "p/dir/sub", "p/dir/sub/y", "p/a.txt"]);
        let req = CopyRequest {
            parents: true,
            ..request(&["dir/./sub/y"], "/p/")
        };
        assert_eq!(planned(&f, &req), vec!["p/sub", "p/sub/y"]);
        // A pivot at the end copies the directory's contents.
        let req = CopyRequest {
            parents: true,
            ..request(&["./dir/./"], "/p/")
        };
        assert_eq!(planned(&f, &req), vec!["p", "p/sub", "p/sub/y", "p/x"]);
    }

    #[test]
    fn hard_links_within_a_source_link_to_its_first_copy() {
        let f = fixture();
        let c = f.ctx.0.clone();
        fs::hard_link(c.join("dir/x"), c.join("dir/sub/x2")).unwrap();
        let req = request(&["dir"], "/d");
        let p = plan(&f.ctx, &f.image, &req).unwrap();
        let link_of = |dest: &str| match &p.items.iter().find(|i| i.dest == dest).unwrap().kind {
            ItemKind::File { hardlink_of, .. } => hardlink_of.clone(),
            other => panic!("{dest} is {other:?}"),
        };
        assert_eq!(
            link_of("d/sub/x2"),
            None,
            "sorted walk: d/sub/x2 comes first"
        );
        assert_eq!(link_of("d/x").as_deref(), Some("d/sub/x2"));
        // Two sources are copied apart.
        let req = request(&["dir/x", "dir/sub/x2"], "/two/");
        let p = plan(&f.ctx, &f.image, &req).unwrap();
        assert!(p.items.iter().all(|i| matches!(
            i.kind,
            ItemKind::File {
                hardlink_of: None,
                ..
            }
        )));
    }

    #[test]
    fn excludes_drop_matching_entries() {
        let f = fixture();
        let req = CopyRequest {
            excludes: vec!["*.txt".into(), "dir/sub".into()],
            ..request(&["."], "/e/")
        };
        let got = planned(&f, &req);
        assert_eq!(got, vec!["e", "e/dir", "e/dir/x", "e/link"]);
    }

    #[test]
    fn chmod_applies_to_copied_entries_and_chown_to_all() {
        let f = fixture();
        let req = CopyRequest {
            owner: Some(Owner { uid: 7, gid: 8 }),
            chmod: Some("640".parse().unwrap()),
            ..request(&["dir"], "/d")
        };
        let p = plan(&f.ctx, &f.image, &req).unwrap();
        assert!(p.items.iter().all(|i| i.owner == Owner { uid: 7, gid: 8 }));
        assert!(p.items[1..].iter().all(|i| i.mode == 0o640));
        assert_eq!(p.items[0].mode, 0o755, "the destination dir is made 0755");
        assert_eq!(p.parent_owner, Owner { uid: 7, gid: 8 });
    }

    #[test]
    fn keep_owners_copies_each_entrys_owner_unless_chown_is_given() {
        let f = fixture();
        let c = f.ctx.0.clone();
        std::os::unix::fs::lchown(c.join("dir/x"), Some(1000), Some(50)).unwrap();
        std::os::unix::fs::lchown(c.join("dir/sub"), Some(7), Some(8)).unwrap();
        let req = CopyRequest {
            keep_owners: true,
            ..request(&["dir"], "/d")
        };
        let p = plan(&f.ctx, &f.image, &req).unwrap();
        let owner_of = |dest: &str| p.items.iter().find(|i| i.dest == dest).unwrap().owner;
        assert_eq!(owner_of("d/x"), Owner { uid: 1000, gid: 50 });
        assert_eq!(owner_of("d/sub"), Owner { uid: 7, gid: 8 });
        assert_eq!(owner_of("d"), Owner::default(), "the made dir is root's");
        assert_eq!(p.parent_owner, Owner::default());
        let req = CopyRequest {
            owner: Some(Owner { uid: 3, gid: 4 }),
            ..req
        };
        let p = plan(&f.ctx, &f.image, &req).unwrap();
        assert!(p.items.iter().all(|i| i.owner == Owner { uid: 3, gid: 4 }));
    }
}
