//! The few syscalls layers need beyond std: xattrs, mknod, lchown, mtimes
//! on symlinks. All act on the path itself, never following a final symlink.

use std::io;
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, CWD, FileType, Mode, Timespec, Timestamps, XattrFlags};

/// Every extended attribute of `path`, sorted by name.
pub fn list_xattrs(path: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    let size = match rfs::llistxattr_query(path) {
        Ok(n) => n,
        Err(rustix::io::Errno::OPNOTSUPP) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    if size == 0 {
        return Ok(Vec::new());
    }
    let mut names = vec![0u8; size];
    let n = rfs::llistxattr(path, &mut names[..])?;
    names.truncate(n);
    let mut out = Vec::new();
    for raw in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let Ok(name) = String::from_utf8(raw.to_vec()) else {
            continue;
        };
        let len = match rfs::lgetxattr_query(path, name.as_str()) {
            Ok(len) => len,
            // Removed between list and get: nothing to record.
            Err(rustix::io::Errno::NODATA) => continue,
            Err(e) => return Err(e.into()),
        };
        let mut value = vec![0u8; len];
        let n = rfs::lgetxattr(path, name.as_str(), &mut value[..])?;
        value.truncate(n);
        out.push((name, value));
    }
    out.sort();
    Ok(out)
}

pub fn set_xattr(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    rfs::lsetxattr(path, name, value, XattrFlags::empty()).map_err(Into::into)
}

#[derive(Clone, Copy, Debug)]
pub enum NodeKind {
    Char,
    Block,
    Fifo,
}

pub fn mknod(path: &Path, kind: NodeKind, perm: u32, major: u32, minor: u32) -> io::Result<()> {
    let ft = match kind {
        NodeKind::Char => FileType::CharacterDevice,
        NodeKind::Block => FileType::BlockDevice,
        NodeKind::Fifo => FileType::Fifo,
    };
    rfs::mknodat(
        CWD,
        path,
        ft,
        Mode::from_raw_mode(perm & 0o7777),
        rfs::makedev(major, minor),
    )
    .map_err(Into::into)
}

pub fn lchown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    rfs::chownat(
        CWD,
        path,
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(Into::into)
}

/// Sets atime and mtime of `path` itself (also of a symlink).
pub fn set_mtime(path: &Path, secs: i64) -> io::Result<()> {
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    let times = Timestamps {
        last_access: t,
        last_modification: t,
    };
    rfs::utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).map_err(Into::into)
}

pub fn dev_major_minor(rdev: u64) -> (u32, u32) {
    (rfs::major(rdev), rfs::minor(rdev))
}

/// Whether overlayfs marked `dir` opaque (either xattr set to `y`).
pub fn has_opaque_xattr(dir: &Path) -> bool {
    super::OPAQUE_XATTRS.iter().any(|name| {
        let mut buf = [0u8; 4];
        matches!(rfs::lgetxattr(dir, *name, &mut buf), Ok(1) if buf[0] == b'y')
    })
}

/// Removes overlayfs's opaque marks from `dir`; absent ones are fine.
pub fn clear_opaque_xattrs(dir: &Path) -> io::Result<()> {
    for name in super::OPAQUE_XATTRS {
        match rfs::lremovexattr(dir, name) {
            Ok(()) | Err(rustix::io::Errno::NODATA) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
