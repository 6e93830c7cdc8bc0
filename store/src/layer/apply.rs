//! Layer tar -> directory, refusing anything that would land outside it.
//! Whiteouts either stay overlay markers (the target is a snapshot used as
//! an overlay lower dir), delete what they name (the target is a merged
//! tree) or are plain files (ADD of an archive). Returns the diff_id: the
//! sha256 of the whole uncompressed stream.
//!
//! Every path that unpacks a tar comes here (pull, import, cache import,
//! ADD): entry paths, their parents and hardlink targets are resolved by
//! one resolver ([`resolve_dir`]) through a [`Root`], and the stream is
//! bounded by `max_size`.

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use tar::{Archive, Entry, EntryType};

use super::entry_path::{OuterLinks, clean_components, resolve_dir};
use super::root::{DirRoot, Probe, Root};
use super::sys::{self, NodeKind};
use super::{OPAQUE_MARKER, OPAQUE_XATTRS, WHITEOUT_PREFIX};
use crate::digest::{Digest, DigestReader};
use crate::error::{IoContext, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhiteoutMode {
    /// Keep whiteouts as overlayfs does: `.wh.X` becomes a 0/0 char device
    /// X, an opaque marker sets the opaque xattr on its directory.
    Overlay,
    /// Delete what whiteouts name: the target is a full root filesystem.
    Remove,
    /// No whiteouts: `.wh.X` is a file like any other (an archive ADD
    /// unpacks is not a layer, as in Docker).
    Literal,
}

/// The default bound on a layer's uncompressed size.
pub const DEFAULT_MAX_LAYER_SIZE: u64 = 100 << 30;

#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    pub whiteouts: WhiteoutMode,
    /// A single entry claiming more than this is refused as absurd.
    pub max_entry_size: u64,
    /// The uncompressed stream may not be longer than this: a small gzip
    /// can expand without end (a decompression bomb).
    pub max_size: u64,
    /// Symlinks met on the way that point outside the root.
    pub outer_links: OuterLinks,
    /// Every entry's owner instead of the tar's (ADD --chown).
    pub owner: Option<(u32, u32)>,
    /// Device nodes and fifos are made; otherwise they are skipped.
    pub devices: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            whiteouts: WhiteoutMode::Overlay,
            max_entry_size: 1 << 40,
            max_size: DEFAULT_MAX_LAYER_SIZE,
            outer_links: OuterLinks::Refuse,
            owner: None,
            devices: true,
        }
    }
}

impl ApplyOptions {
    /// How ADD unpacks a local archive: merged into the destination
    /// directory as a chroot would see it (Docker and BuildKit unpack
    /// with the destination as root), no whiteouts, no devices.
    pub fn archive(owner: Option<(u32, u32)>, max_size: u64) -> Self {
        ApplyOptions {
            whiteouts: WhiteoutMode::Literal,
            max_size,
            outer_links: OuterLinks::FromRoot,
            owner,
            devices: false,
            ..ApplyOptions::default()
        }
    }
}

/// Applies the uncompressed tar stream `tar` onto directory `dest`.
pub fn apply_layer<R: Read>(
    tar: R,
    dest: &Path,
    opts: &ApplyOptions,
) -> Result<Digest, StoreError> {
    apply_onto(tar, &mut DirRoot::new(dest), opts)
}

/// Applies the uncompressed tar stream `tar` onto `root`.
pub fn apply_onto<R: Read>(
    tar: R,
    root: &mut dyn Root,
    opts: &ApplyOptions,
) -> Result<Digest, StoreError> {
    let mut applier = Applier {
        root,
        opts: *opts,
        is_root: rustix::process::geteuid().is_root(),
        created: HashSet::new(),
        dir_times: Vec::new(),
        declared: 0,
    };
    let read = Rc::new(Cell::new(0u64));
    let mut archive = Archive::new(EofWatch {
        inner: DigestReader::new(tar),
        hit_eof: false,
        read: read.clone(),
        limit: opts.max_size,
    });
    let too_large = |entry: &str| StoreError::LayerTooLarge {
        layer: String::new(),
        entry: entry.to_owned(),
        limit: opts.max_size,
    };
    let mut last = String::from("(the first header)");
    let entries = archive.entries().map_err(corrupt)?;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(_) if read.get() > opts.max_size => return Err(too_large(&last)),
            Err(e) => return Err(corrupt(e)),
        };
        last = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        match applier.entry(entry) {
            Ok(()) => {}
            Err(_) if read.get() > opts.max_size => return Err(too_large(&last)),
            Err(e) => return Err(e),
        }
    }

    // Directory mtimes last: creating their children changed them.
    for (path, mtime) in applier.dir_times.iter().rev() {
        sys::set_mtime(path, *mtime).ctx(|| format!("set mtime of {}", path.display()))?;
    }
    let watch = archive.into_inner();
    if watch.hit_eof {
        // The tar reader stops quietly when the stream ends where a header
        // should be; a real archive ends with zero blocks instead.
        return Err(StoreError::CorruptLayer(
            "stream ends without the end-of-archive marker (truncated?)".to_owned(),
        ));
    }
    let mut rest = watch.inner;
    // The end-of-archive padding is part of the diff_id, and reading to the
    // end makes the decompressor check its trailer.
    let mut bounded = Bounded {
        inner: &mut rest,
        read,
        limit: opts.max_size,
    };
    match io::copy(&mut bounded, &mut io::sink()) {
        Ok(_) => {}
        Err(_) if bounded.read.get() > opts.max_size => {
            return Err(too_large("(after the end of the archive)"));
        }
        Err(e) => return Err(corrupt(e)),
    }
    Ok(rest.finish().0)
}

/// Counts what is read and fails past `limit`.
struct Bounded<'a, R> {
    inner: &'a mut R,
    read: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        count(self.inner.read(buf)?, &self.read, self.limit)
    }
}

fn count(n: usize, read: &Cell<u64>, limit: u64) -> io::Result<usize> {
    read.set(read.get().saturating_add(n as u64));
    if read.get() > limit {
        return Err(io::Error::other("the layer is larger than its size limit"));
    }
    Ok(n)
}

/// Notes whether the stream ran dry under the tar reader.
/// Also counts what is read, and fails past `limit`.
struct EofWatch<R> {
    inner: R,
    hit_eof: bool,
    read: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for EofWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.hit_eof = true;
        }
        count(n, &self.read, self.limit)
    }
}

/// A numeric header field left empty reads as 0, as Go's archive/tar (and
/// so Docker) reads it; anything else unreadable is corruption.
fn blank_is_zero(value: io::Result<u64>, raw: &[u8]) -> Result<u64, StoreError> {
    match value {
        Ok(v) => Ok(v),
        Err(_) if raw.iter().all(|b| *b == 0 || *b == b' ') => Ok(0),
        Err(e) => Err(corrupt(e)),
    }
}

fn corrupt(e: io::Error) -> StoreError {
    StoreError::CorruptLayer(e.to_string())
}

struct Applier<'a> {
    root: &'a mut dyn Root,
    opts: ApplyOptions,
    is_root: bool,
    /// Paths this layer created: an opaque marker must not delete them.
    created: HashSet<PathBuf>,
    dir_times: Vec<(PathBuf, i64)>,
    /// The sum of the entries' declared sizes: a bomb is stopped before
    /// its data is written, not after.
    declared: u64,
}

struct Attrs {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    xattrs: Vec<(String, Vec<u8>)>,
}

impl Applier<'_> {
    fn entry<R: Read>(&mut self, mut entry: Entry<'_, R>) -> Result<(), StoreError> {
        let raw_path = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        let comps = clean_components(&raw_path)?;
        let Some((base, parents)) = comps.split_last() else {
            return Ok(()); // "./": the target dir itself
        };
        let size = entry.size();
        if size > self.opts.max_entry_size {
            return Err(StoreError::hostile(shown, format!("absurd size {size}")));
        }
        self.declared = self.declared.saturating_add(size);
        if self.declared > self.opts.max_size {
            return Err(StoreError::LayerTooLarge {
                layer: String::new(),
                entry: shown,
                limit: self.opts.max_size,
            });
        }
        let attrs = self.attrs(&mut entry, &shown)?;
        let kind = entry.header().entry_type();
        let outer = self.opts.outer_links;
        let mut rel = resolve_dir(self.root, parents, &shown, outer)?;
        let parent = self.root.host(&rel);
        let base_bytes = base.as_bytes();

        if self.opts.whiteouts != WhiteoutMode::Literal {
            if base_bytes == OPAQUE_MARKER.as_bytes() {
                return self.opaque(&parent);
            }
            if let Some(hidden) = base_bytes.strip_prefix(WHITEOUT_PREFIX.as_bytes()) {
                if hidden.is_empty() || hidden == b"." || hidden == b".." {
                    return Err(StoreError::hostile(shown, "malformed whiteout"));
                }
                let target = parent.join(std::ffi::OsStr::from_bytes(hidden));
                return self.whiteout(&target, &attrs);
            }
        }
        rel.push(base.clone());
        let target = parent.join(base);

        match kind {
            EntryType::Directory => {
                let probe = self.root.probe(&rel).ctx(|| target.display().to_string())?;
                if probe != Probe::Dir {
                    remove_any(&target)?;
                }
                self.root
                    .make_dir(&rel, probe == Probe::Dir)
                    .ctx(|| format!("mkdir {}", target.display()))?;
                self.finish(&target, &attrs, false)?;
                self.dir_times.push((target.clone(), attrs.mtime));
            }
            EntryType::Regular | EntryType::Continuous => {
                remove_any(&target)?;
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&target)
                    .ctx(|| format!("create {}", target.display()))?;
                let copied = io::copy(&mut entry, &mut file).map_err(corrupt)?;
                if copied != size {
                    return Err(StoreError::CorruptLayer(format!("{shown}: truncated data")));
                }
                drop(file);
                self.finish(&target, &attrs, true)?;
            }
            EntryType::Symlink => {
                let link = entry
                    .link_name_bytes()
                    .ok_or_else(|| StoreError::hostile(&shown, "symlink without a target"))?;
                remove_any(&target)?;
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&link), &target)
                    .ctx(|| format!("symlink {}", target.display()))?;
                self.finish(&target, &attrs, false)?;
            }
            EntryType::Link => {
                let link = entry
                    .link_name_bytes()
                    .ok_or_else(|| StoreError::hostile(&shown, "hardlink without a target"))?;
                self.hardlink(&link, &target, &shown)?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo if !self.opts.devices => {}
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let node = match kind {
                    EntryType::Char => NodeKind::Char,
                    EntryType::Block => NodeKind::Block,
                    _ => NodeKind::Fifo,
                };
                let major = entry.header().device_major().ok().flatten().unwrap_or(0);
                let minor = entry.header().device_minor().ok().flatten().unwrap_or(0);
                remove_any(&target)?;
                sys::mknod(&target, node, attrs.mode, major, minor)
                    .ctx(|| format!("mknod {}", target.display()))?;
                self.finish(&target, &attrs, true)?;
            }
            other => {
                return Err(StoreError::hostile(
                    shown,
                    format!("unsupported entry type {other:?}"),
                ));
            }
        }
        Ok(())
    }

    /// A hardlink's target resolves like any entry's path, inside the
    /// root; what it names must be there and not be a directory. A target
    /// only the view below has (ADD over an image) is copied: a link
    /// cannot cross into a lower layer.
    fn hardlink(&mut self, link: &[u8], target: &Path, shown: &str) -> Result<(), StoreError> {
        let lcomps = clean_components(link)?;
        let Some((lbase, lparents)) = lcomps.split_last() else {
            return Err(StoreError::hostile(shown, "hardlink to the root"));
        };
        let mut lrel = resolve_dir(self.root, lparents, shown, self.opts.outer_links)?;
        lrel.push(lbase.clone());
        let probe = self
            .root
            .probe(&lrel)
            .ctx(|| self.root.host(&lrel).display().to_string())?;
        let located = match probe {
            Probe::Other | Probe::Symlink(_) => self.root.locate(&lrel),
            Probe::Dir | Probe::Missing => None,
        };
        let Some((source, writable)) = located else {
            return Err(StoreError::hostile(
                shown,
                "hardlink target is missing or a directory",
            ));
        };
        if source == target {
            return Ok(());
        }
        remove_any(target)?;
        match probe {
            _ if writable => {
                fs::hard_link(&source, target).ctx(|| format!("link {}", target.display()))?
            }
            Probe::Symlink(to) => std::os::unix::fs::symlink(&to, target)
                .ctx(|| format!("symlink {}", target.display()))?,
            _ => copy_regular(&source, target, shown)?,
        }
        self.created.insert(target.to_path_buf());
        Ok(())
    }

    fn attrs<R: Read>(&self, entry: &mut Entry<'_, R>, shown: &str) -> Result<Attrs, StoreError> {
        let h = entry.header();
        let old = h.as_old();
        let mut uid = blank_is_zero(h.uid(), &old.uid)?;
        let mut gid = blank_is_zero(h.gid(), &old.gid)?;
        let mut mtime = blank_is_zero(h.mtime(), &old.mtime)?.min(i64::MAX as u64) as i64;
        let mode = blank_is_zero(h.mode().map(u64::from), &old.mode)? as u32 & 0o7777;
        let mut xattrs = Vec::new();
        if let Some(pax) = entry.pax_extensions().map_err(corrupt)? {
            for ext in pax {
                let ext = ext.map_err(corrupt)?;
                let Ok(key) = ext.key() else { continue };
                let value = ext.value_bytes();
                let num = || {
                    std::str::from_utf8(value)
                        .ok()?
                        .split('.')
                        .next()?
                        .parse::<u64>()
                        .ok()
                };
                match key {
                    "uid" => {
                        uid = num().ok_or_else(|| StoreError::hostile(shown, "bad pax uid"))?
                    }
                    "gid" => {
                        gid = num().ok_or_else(|| StoreError::hostile(shown, "bad pax gid"))?
                    }
                    "mtime" => mtime = num().map_or(mtime, |m| m.min(i64::MAX as u64) as i64),
                    _ => {
                        if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                            xattrs.push((name.to_owned(), value.to_vec()));
                        }
                    }
                }
            }
        }
        let id = |v: u64, what: &str| {
            u32::try_from(v)
                .ok()
                .filter(|v| *v != u32::MAX)
                .ok_or_else(|| StoreError::hostile(shown, format!("{what} {v} out of range")))
        };
        let (uid, gid) = match self.opts.owner {
            Some((uid, gid)) => (uid, gid),
            None => (id(uid, "uid")?, id(gid, "gid")?),
        };
        Ok(Attrs {
            mode,
            uid,
            gid,
            mtime,
            xattrs,
        })
    }

    /// Owner, then mode (chown clears setuid bits), then xattrs (chown
    /// clears security.capability), then mtime.
    fn finish(&mut self, path: &Path, a: &Attrs, chmod: bool) -> Result<(), StoreError> {
        if self.is_root {
            match sys::lchown(path, a.uid, a.gid) {
                // Root of a user namespace: the id has no host id behind it.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                    return Err(StoreError::UnmappedOwner {
                        path: path.to_path_buf(),
                        uid: a.uid,
                        gid: a.gid,
                    });
                }
                r => r.ctx(|| format!("chown {}", path.display()))?,
            }
        }
        let is_link = fs::symlink_metadata(path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if !is_link && (chmod || path.is_dir()) {
            fs::set_permissions(path, fs::Permissions::from_mode(a.mode))
                .ctx(|| format!("chmod {}", path.display()))?;
        }
        for (name, value) in &a.xattrs {
            match sys::set_xattr(path, name, value) {
                Ok(()) => {}
                // trusted.* needs the host's root, even for root of a user
                // namespace (rootless).
                Err(e)
                    if (!self.is_root || name.starts_with("trusted."))
                        && e.raw_os_error() == Some(libc::EPERM) => {}
                Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {}
                Err(e) => {
                    return Err(StoreError::Io {
                        context: format!("set xattr {name} on {}", path.display()),
                        source: e,
                    });
                }
            }
        }
        sys::set_mtime(path, a.mtime).ctx(|| format!("set mtime of {}", path.display()))?;
        self.created.insert(path.to_path_buf());
        Ok(())
    }

    fn whiteout(&mut self, target: &Path, a: &Attrs) -> Result<(), StoreError> {
        remove_any(target)?;
        if self.opts.whiteouts == WhiteoutMode::Overlay {
            sys::mknod(target, NodeKind::Char, a.mode, 0, 0)
                .ctx(|| format!("whiteout {}", target.display()))?;
            self.finish(target, a, true)?;
        }
        Ok(())
    }

    fn opaque(&mut self, dir: &Path) -> Result<(), StoreError> {
        match self.opts.whiteouts {
            WhiteoutMode::Overlay => {
                let what = || format!("mark {} opaque", dir.display());
                // The host's root marks opaque dirs as overlayfs mounted by
                // it reads them; anyone else (root of a rootless user
                // namespace too, refused trusted.*) as a `userxattr` one.
                if self.is_root {
                    match sys::set_xattr(dir, OPAQUE_XATTRS[0], b"y") {
                        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
                        r => return r.ctx(what),
                    }
                }
                sys::set_xattr(dir, OPAQUE_XATTRS[1], b"y").ctx(what)
            }
            WhiteoutMode::Literal => Ok(()),
            WhiteoutMode::Remove => {
                // Hide everything lower layers put here; keep this layer's.
                for child in fs::read_dir(dir).ctx(|| format!("read {}", dir.display()))? {
                    let child = child.ctx(|| format!("read {}", dir.display()))?.path();
                    if !self.created.contains(&child) {
                        remove_any(&child)?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Copies a regular file of the view below, keeping its metadata as a
/// hardlink would share it; never follows a symlink.
fn copy_regular(source: &Path, target: &Path, shown: &str) -> Result<(), StoreError> {
    let meta = fs::symlink_metadata(source).ctx(|| format!("stat {}", source.display()))?;
    if !meta.is_file() {
        return Err(StoreError::hostile(
            shown,
            "hardlink target below is not a regular file",
        ));
    }
    let mut from = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(source)
        .ctx(|| format!("open {}", source.display()))?;
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(target)
        .ctx(|| format!("create {}", target.display()))?;
    io::copy(&mut from, &mut to).ctx(|| format!("copy to {}", target.display()))?;
    drop(to);
    use std::os::unix::fs::MetadataExt;
    sys::lchown(target, meta.uid(), meta.gid()).ctx(|| format!("chown {}", target.display()))?;
    fs::set_permissions(target, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .ctx(|| format!("chmod {}", target.display()))?;
    sys::set_mtime(target, meta.mtime()).ctx(|| format!("set mtime of {}", target.display()))
}

/// Removes whatever is at `path` (never following a symlink); absent is fine.
fn remove_any(path: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            fs::remove_dir_all(path).ctx(|| format!("remove {}", path.display()))
        }
        Ok(_) => fs::remove_file(path).ctx(|| format!("remove {}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Io {
            context: format!("stat {}", path.display()),
            source: e,
        }),
    }
}
