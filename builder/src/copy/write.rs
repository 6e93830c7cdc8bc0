//! Writes a [`CopyPlan`] into a fresh upper directory that will be stacked
//! over `lowers`. Only what the step changes is written: a directory that
//! exists below is recreated empty in the upper dir with its metadata (as
//! overlayfs copy-up does), never copied with its contents. Destination
//! paths are resolved through symlinks of the merged view, inside the root.

use std::fs::{self, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use filetime::FileTime;

use std::collections::{HashMap, HashSet};

use super::file_copy::{FileBatch, FileJob};
use super::{CopyError, CopyPlan, ItemKind, Owner};
use crate::layered::LayeredFs;
use crate::tree::{Tree, join, resolve};

/// Final metadata of a directory, applied after its contents are written
/// (writing into a directory changes its mtime).
pub(super) struct DirMeta {
    pub(super) path: PathBuf,
    pub(super) mode: u32,
    pub(super) owner: Owner,
    pub(super) mtime: FileTime,
}

pub(super) struct Writer<'a> {
    upper: &'a Path,
    pub(super) lowers: &'a LayeredFs,
    pub(super) merged: LayeredFs,
    pub(super) parent_owner: Owner,
    pub(super) dirs: Vec<DirMeta>,
    /// Directories already made to exist: requested path -> resolved path.
    /// A large COPY puts many files in each directory; resolving the same
    /// parent through every layer for each of them was most of its stats.
    /// Cleared whenever something is replaced or a non-file is written,
    /// as that may change how paths resolve.
    ensured: HashMap<String, String>,
    ensured_real: HashSet<String>,
    files: FileBatch,
    /// Where each file that later items hard-link to landed (plan
    /// destination -> upper path); the destinations are known up front.
    file_hosts: HashMap<String, Option<PathBuf>>,
}

/// Writes every item of `plan` under `upper`, archives bounded by the
/// default layer size limit.
pub fn write(plan: &CopyPlan, upper: &Path, lowers: &LayeredFs) -> Result<(), CopyError> {
    write_bounded(
        plan,
        upper,
        lowers,
        strata_store::layer::DEFAULT_MAX_LAYER_SIZE,
    )
}

/// Writes every item of `plan` under `upper`; an archive ADD unpacks may
/// expand to `max_archive_size` bytes at most.
pub fn write_bounded(
    plan: &CopyPlan,
    upper: &Path,
    lowers: &LayeredFs,
    max_archive_size: u64,
) -> Result<(), CopyError> {
    let mut w = Writer {
        upper,
        lowers,
        merged: lowers.with_top(upper.to_path_buf()),
        parent_owner: plan.parent_owner,
        dirs: Vec::new(),
        ensured: HashMap::new(),
        ensured_real: HashSet::new(),
        files: FileBatch::default(),
        file_hosts: link_targets(plan),
    };
    for item in &plan.items {
        // An earlier copy this file is a hard link to, once written.
        let link_to = match &item.kind {
            ItemKind::File {
                hardlink_of: Some(first),
                ..
            } => w.file_hosts.get(first).cloned().flatten(),
            _ => None,
        };
        if !matches!(item.kind, ItemKind::File { .. }) {
            w.files.flush()?;
            w.forget_dirs();
        }
        let (parent, name) = split(&item.dest);
        let parent = w.ensure_dir(&parent)?;
        let rel = match &name {
            Some(name) => join(&parent, name),
            None => parent.clone(),
        };
        let host = w.host(&rel);
        match &item.kind {
            ItemKind::Dir => {
                let existing = resolve(&w.merged, &rel, true)?;
                if item.merge && w.merged.lstat(&existing).is_some_and(|n| n.meta.is_dir()) {
                    w.ensure_dir(&existing)?;
                    continue;
                }
                replace_non_dir(&host)?;
                if !host.is_dir() {
                    fs::create_dir(&host).map_err(CopyError::io(&host))?;
                }
                w.dirs.push(DirMeta {
                    path: host,
                    mode: item.mode,
                    owner: item.owner,
                    mtime: item.mtime,
                });
            }
            ItemKind::File { .. } if let Some(first) = link_to => {
                // The link needs its target written, and nothing pending
                // where it goes.
                let replaces_dir = w.ensured_real.contains(&rel);
                if replaces_dir || w.files.holds(&first) || w.files.holds(&host) {
                    w.files.flush()?;
                }
                remove_any(&host)?;
                fs::hard_link(&first, &host).map_err(CopyError::io(&host))?;
                if let Some(at) = w.file_hosts.get_mut(&item.dest) {
                    *at = Some(host);
                }
                if replaces_dir {
                    w.forget_dirs();
                }
            }
            ItemKind::File { host: src, .. } => {
                // A file over a directory made earlier, or twice the same
                // destination: the order matters, so nothing runs beside it.
                if let Some(at) = w.file_hosts.get_mut(&item.dest) {
                    *at = Some(host.clone());
                }
                let replaces_dir = w.ensured_real.contains(&rel);
                if replaces_dir || w.files.holds(&host) {
                    w.files.flush()?;
                }
                w.files.push(FileJob {
                    src: src.clone(),
                    dest: host,
                    owner: item.owner,
                    mode: item.mode,
                    mtime: item.mtime,
                });
                if replaces_dir {
                    w.files.flush()?;
                    w.forget_dirs();
                }
            }
            ItemKind::Symlink { target } => {
                remove_any(&host)?;
                std::os::unix::fs::symlink(target, &host).map_err(CopyError::io(&host))?;
                set_meta(&host, item.owner, None, item.mtime)?;
            }
            ItemKind::Archive { host: src, chown } => {
                let dest = w.ensure_dir(&rel)?;
                super::unpack::unpack(&mut w, src, &dest, *chown, max_archive_size)?;
                // The archive may have replaced what paths resolve through.
                w.forget_dirs();
            }
        }
    }
    w.files.flush()?;
    for d in w.dirs.iter().rev() {
        set_meta(&d.path, d.owner, Some(d.mode), d.mtime)?;
    }
    Ok(())
}

/// The destinations later items of `plan` hard-link to, not yet written.
fn link_targets(plan: &CopyPlan) -> HashMap<String, Option<PathBuf>> {
    plan.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::File {
                hardlink_of: Some(first),
                ..
            } => Some((first.clone(), None)),
            _ => None,
        })
        .collect()
}

fn split(rel: &str) -> (String, Option<String>) {
    if rel == "." {
        return (".".into(), None);
    }
    match rel.rsplit_once('/') {
        Some((p, n)) => (p.into(), Some(n.into())),
        None => (".".into(), Some(rel.into())),
    }
}

impl Writer<'_> {
    pub(super) fn host(&self, rel: &str) -> PathBuf {
        if rel == "." {
            self.upper.to_path_buf()
        } else {
            self.upper.join(rel)
        }
    }

    /// Makes directory `rel` exist in the upper dir, following symlinks of
    /// the merged view; returns the resolved path. Directories of the lower
    /// layers are recreated with their metadata; missing ones are created
    /// 0755 owned by the plan's parent owner.
    fn ensure_dir(&mut self, rel: &str) -> Result<String, CopyError> {
        if let Some(real) = self.ensured.get(rel) {
            return Ok(real.clone());
        }
        // Files waiting to be written may sit where directories go.
        self.files.flush()?;
        let real = self.make_dir(rel)?;
        self.ensured.insert(rel.to_string(), real.clone());
        self.ensured_real.insert(real.clone());
        Ok(real)
    }

    fn forget_dirs(&mut self) {
        self.ensured.clear();
        self.ensured_real.clear();
    }

    fn make_dir(&mut self, rel: &str) -> Result<String, CopyError> {
        let real = resolve(&self.merged, rel, true)?;
        if real == "." {
            return Ok(real);
        }
        let mut done = String::from(".");
        for part in real.split('/') {
            done = join(&done, part);
            let host = self.host(&done);
            match fs::symlink_metadata(&host) {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => remove_any(&host)?,
                Err(_) => {}
            }
            fs::create_dir(&host).map_err(CopyError::io(&host))?;
            match self.lowers.lstat(&done).filter(|n| n.meta.is_dir()) {
                Some(lower) => {
                    let m = &lower.meta;
                    let owner = Owner {
                        uid: m.uid(),
                        gid: m.gid(),
                    };
                    let mtime = FileTime::from_last_modification_time(m);
                    self.dirs.push(DirMeta {
                        path: host,
                        mode: m.mode() & 0o7777,
                        owner,
                        mtime,
                    });
                }
                None => set_meta(&host, self.parent_owner, Some(0o755), FileTime::now())?,
            }
        }
        Ok(real)
    }
}

/// Removes whatever is at `path` in the upper dir (a file, link or tree).
pub(super) fn remove_any(path: &Path) -> Result<(), CopyError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(CopyError::io(path)),
        Ok(_) => fs::remove_file(path).map_err(CopyError::io(path)),
        Err(_) => Ok(()),
    }
}

fn replace_non_dir(path: &Path) -> Result<(), CopyError> {
    match fs::symlink_metadata(path) {
        Ok(m) if !m.is_dir() => fs::remove_file(path).map_err(CopyError::io(path)),
        _ => Ok(()),
    }
}

/// Owner first, then mode (chown clears setuid bits), then times.
pub(super) fn set_meta(
    path: &Path,
    owner: Owner,
    mode: Option<u32>,
    mtime: FileTime,
) -> Result<(), CopyError> {
    std::os::unix::fs::lchown(path, Some(owner.uid), Some(owner.gid))
        .map_err(CopyError::chown(path, owner))?;
    if let Some(mode) = mode {
        fs::set_permissions(path, Permissions::from_mode(mode)).map_err(CopyError::io(path))?;
    }
    filetime::set_symlink_file_times(path, mtime, mtime).map_err(CopyError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::{CopyRequest, plan};
    use crate::layer_stack::LayerStack;
    use crate::tree::PlainDir;

    #[test]
    fn copying_into_a_lower_directory_writes_only_the_new_file() {
        let t = tempfile::tempdir().unwrap();
        let (ctx, low, upper) = (
            t.path().join("ctx"),
            t.path().join("low"),
            t.path().join("up"),
        );
        fs::create_dir_all(ctx.join("src")).unwrap();
        fs::write(ctx.join("src/new.txt"), "new").unwrap();
        fs::create_dir_all(low.join("usr/share")).unwrap();
        fs::write(low.join("usr/share/big"), vec![0u8; 4096]).unwrap();
        fs::set_permissions(low.join("usr"), Permissions::from_mode(0o750)).unwrap();
        std::os::unix::fs::symlink("usr/share", low.join("share")).unwrap();
        fs::create_dir_all(&upper).unwrap();
        let lowers = LayeredFs::new(LayerStack::lowest_first(vec![low.clone()]));
        let req = CopyRequest {
            sources: vec!["src/new.txt".into()],
            dest: "/share/".into(),
            ..Default::default()
        };
        let p = plan(&PlainDir::new(&ctx), &lowers, &req).unwrap();
        write(&p, &upper, &lowers).unwrap();

        assert_eq!(
            fs::read_to_string(upper.join("usr/share/new.txt")).unwrap(),
            "new"
        );
        assert!(
            !upper.join("usr/share/big").exists(),
            "no copy of the lower"
        );
        assert!(
            !upper.join("share").exists(),
            "the symlink was followed, not replaced"
        );
        let usr = fs::metadata(upper.join("usr")).unwrap();
        assert_eq!(usr.mode() & 0o7777, 0o750, "copied-up dir keeps its mode");
    }

    #[test]
    fn later_items_win_over_files_still_waiting_to_be_written() {
        let t = tempfile::tempdir().unwrap();
        let (ctx, upper) = (t.path().join("ctx"), t.path().join("up"));
        fs::create_dir_all(&ctx).unwrap();
        fs::create_dir_all(&upper).unwrap();
        let file = |name: &str, dest: &str| {
            let src = ctx.join(name);
            fs::write(&src, name).unwrap();
            let meta = fs::metadata(&src).unwrap();
            crate::copy::Item {
                dest: dest.into(),
                kind: ItemKind::File {
                    host: src,
                    stamp: crate::stat_cache::FileStamp::of(&meta),
                    hardlink_of: None,
                },
                mode: 0o644,
                owner: Owner::default(),
                mtime: FileTime::from_unix_time(1, 0),
                merge: false,
            }
        };
        let plan = CopyPlan {
            items: vec![
                // The same destination twice: the second one stays.
                file("one", "twice"),
                file("two", "twice"),
                // A file where a directory is needed next: replaced by it.
                file("three", "x"),
                file("four", "x/y"),
                // A file over a directory made just before.
                file("five", "d/in"),
                file("six", "d"),
            ],
            parent_owner: Owner::default(),
        };
        write(&plan, &upper, &LayeredFs::default()).unwrap();
        assert_eq!(fs::read_to_string(upper.join("twice")).unwrap(), "two");
        assert_eq!(fs::read_to_string(upper.join("x/y")).unwrap(), "four");
        assert_eq!(fs::read_to_string(upper.join("d")).unwrap(), "six");
    }

    #[test]
    fn owners_modes_and_links_are_written_as_planned() {
        let t = tempfile::tempdir().unwrap();
        let (ctx, upper) = (t.path().join("ctx"), t.path().join("up"));
        fs::create_dir_all(ctx.join("d")).unwrap();
        fs::write(ctx.join("d/f"), "f").unwrap();
        std::os::unix::fs::symlink("f", ctx.join("d/l")).unwrap();
        fs::create_dir_all(&upper).unwrap();
        let lowers = LayeredFs::default();
        let req = CopyRequest {
            sources: vec!["d".into()],
            dest: "/a/b".into(),
            owner: Some(Owner { uid: 12, gid: 34 }),
            chmod: Some("0604".parse().unwrap()),
            ..Default::default()
        };
        let p = plan(&PlainDir::new(&ctx), &lowers, &req).unwrap();
        write(&p, &upper, &lowers).unwrap();
        let f = fs::metadata(upper.join("a/b/f")).unwrap();
        assert_eq!((f.uid(), f.gid(), f.mode() & 0o7777), (12, 34, 0o604));
        assert_eq!(fs::read_link(upper.join("a/b/l")).unwrap(), Path::new("f"));
        let a = fs::metadata(upper.join("a")).unwrap();
        assert_eq!((a.uid(), a.mode() & 0o7777), (12, 0o755), "created parents");
    }

    #[test]
    fn add_unpacks_a_compressed_tar_keeping_its_metadata() {
        let t = tempfile::tempdir().unwrap();
        let (ctx, upper) = (t.path().join("ctx"), t.path().join("up"));
        fs::create_dir_all(&ctx).unwrap();
        fs::create_dir_all(&upper).unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_path("pkg/bin/tool").unwrap();
        h.set_size(2);
        h.set_mode(0o755);
        h.set_uid(5);
        h.set_gid(6);
        h.set_cksum();
        b.append(&h, &b"hi"[..]).unwrap();
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Link);
        link.set_path("pkg/bin/alias").unwrap();
        link.set_link_name("pkg/bin/tool").unwrap();
        link.set_size(0);
        link.set_cksum();
        b.append(&link, &[][..]).unwrap();
        let raw = b.into_inner().unwrap();
        fs::write(
            ctx.join("pkg.tar.zst"),
            zstd::encode_all(&raw[..], 1).unwrap(),
        )
        .unwrap();
        let lowers = LayeredFs::default();
        let req = CopyRequest {
            sources: vec!["pkg.tar.zst".into()],
            dest: "/opt".into(),
            extract_archives: true,
            ..Default::default()
        };
        let p = plan(&PlainDir::new(&ctx), &lowers, &req).unwrap();
        write(&p, &upper, &lowers).unwrap();
        let tool = fs::metadata(upper.join("opt/pkg/bin/tool")).unwrap();
        assert_eq!(
            (tool.uid(), tool.gid(), tool.mode() & 0o7777),
            (5, 6, 0o755)
        );
        let alias = fs::metadata(upper.join("opt/pkg/bin/alias")).unwrap();
        assert_eq!(alias.ino(), tool.ino(), "hard link kept");

        // COPY never unpacks.
        let copy = CopyRequest {
            extract_archives: false,
            dest: "/raw/".into(),
            ..req
        };
        let p = plan(&PlainDir::new(&ctx), &lowers, &copy).unwrap();
        write(&p, &upper, &lowers).unwrap();
        assert!(upper.join("raw/pkg.tar.zst").is_file());
    }
}
