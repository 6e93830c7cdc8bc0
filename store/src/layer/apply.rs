//! Layer tar -> directory, refusing anything that would land outside it.
//! Whiteouts either stay overlay markers (the target is a snapshot used as
//! an overlay lower dir) or delete what they name (the target is a merged
//! tree). Returns the diff_id: the sha256 of the whole uncompressed stream.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tar::{Archive, Entry, EntryType};

use super::entry_path::{clean_components, resolve_dir};
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
}

#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    pub whiteouts: WhiteoutMode,
    /// A single entry claiming more than this is refused as absurd.
    pub max_entry_size: u64,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            whiteouts: WhiteoutMode::Overlay,
            max_entry_size: 1 << 40,
        }
    }
}

/// Applies the uncompressed tar stream `tar` onto `dest`.
pub fn apply_layer<R: Read>(
    tar: R,
    dest: &Path,
    opts: &ApplyOptions,
) -> Result<Digest, StoreError> {
    let mut applier = Applier {
        dest: dest.to_path_buf(),
        opts: *opts,
        is_root: rustix::process::geteuid().is_root(),
        created: HashSet::new(),
        dir_times: Vec::new(),
    };
    let mut archive = Archive::new(EofWatch {
        inner: DigestReader::new(tar),
        hit_eof: false,
    });
    let entries = archive.entries().map_err(corrupt)?;
    for entry in entries {
        let entry = entry.map_err(corrupt)?;
        applier.entry(entry)?;
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
    io::copy(&mut rest, &mut io::sink()).map_err(corrupt)?;
    Ok(rest.finish().0)
}

/// Notes whether the stream ran dry under the tar reader.
struct EofWatch<R> {
    inner: R,
    hit_eof: bool,
}

impl<R: Read> Read for EofWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.hit_eof = true;
        }
        Ok(n)
    }
}

fn corrupt(e: io::Error) -> StoreError {
    StoreError::CorruptLayer(e.to_string())
}

struct Applier {
    dest: PathBuf,
    opts: ApplyOptions,
    is_root: bool,
    /// Paths this layer created: an opaque marker must not delete them.
    created: HashSet<PathBuf>,
    dir_times: Vec<(PathBuf, i64)>,
}

struct Attrs {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    xattrs: Vec<(String, Vec<u8>)>,
}

impl Applier {
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
        let attrs = self.attrs(&mut entry, &shown)?;
        let kind = entry.header().entry_type();
        let parent = resolve_dir(&self.dest, parents, &shown)?;
        let base_bytes = base.as_bytes();

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
        let target = parent.join(base);

        match kind {
            EntryType::Directory => {
                match fs::symlink_metadata(&target) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        remove_any(&target)?;
                        fs::create_dir(&target).ctx(|| format!("mkdir {}", target.display()))?;
                    }
                    Err(_) => {
                        fs::create_dir(&target).ctx(|| format!("mkdir {}", target.display()))?
                    }
                }
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
                let lcomps = clean_components(&link)?;
                let Some((lbase, lparents)) = lcomps.split_last() else {
                    return Err(StoreError::hostile(shown, "hardlink to the root"));
                };
                let source = resolve_dir(&self.dest, lparents, &shown)?.join(lbase);
                match fs::symlink_metadata(&source) {
                    Ok(m) if !m.is_dir() => {}
                    _ => {
                        return Err(StoreError::hostile(
                            shown,
                            "hardlink target is missing or a directory",
                        ));
                    }
                }
                if source != target {
                    remove_any(&target)?;
                    fs::hard_link(&source, &target).ctx(|| format!("link {}", target.display()))?;
                }
                self.created.insert(target);
            }
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

    fn attrs<R: Read>(&self, entry: &mut Entry<'_, R>, shown: &str) -> Result<Attrs, StoreError> {
        let h = entry.header();
        let mut uid = h.uid().map_err(corrupt)?;
        let mut gid = h.gid().map_err(corrupt)?;
        let mut mtime = h.mtime().map_err(corrupt)?.min(i64::MAX as u64) as i64;
        let mode = h.mode().map_err(corrupt)? & 0o7777;
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
        Ok(Attrs {
            mode,
            uid: id(uid, "uid")?,
            gid: id(gid, "gid")?,
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
