//! A source packed as a tar stream, walked by file descriptor: a child is
//! opened from its directory's fd without following symlinks, so no entry
//! is read from outside the source, whatever changes under the walk.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Dir, FileType, Mode, OFlags, Stat, fstat, openat, readlinkat};

use super::error::{CopyError, IoAt};
use super::in_root::InRoot;
use super::rules::CopyPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Dir,
    NonDir,
}

/// Whether `src` is a directory (its last symlink followed with `follow`,
/// or when written with a trailing `/`); `Missing` when it does not exist.
pub fn source_kind(root: &InRoot, src: &CopyPath, follow: bool) -> Result<SourceKind, CopyError> {
    let (_, st) = open_source(root, src, follow)?;
    Ok(if file_type(&st) == FileType::Directory {
        SourceKind::Dir
    } else {
        SourceKind::NonDir
    })
}

/// Writes `src` to `out` as a tar stream whose top entry is
/// [`CopyPath::top_name`] (for contents, the children come at the top).
pub fn archive(
    root: &InRoot,
    src: &CopyPath,
    follow: bool,
    out: impl Write,
) -> Result<(), CopyError> {
    let (_, st) = open_source(root, src, follow)?;
    let follow = follows(src, follow);
    let top = src.top_name();
    let name = if top == "." {
        PathBuf::new()
    } else {
        PathBuf::from(top)
    };
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    let open = |flags: OFlags| -> Result<OwnedFd, CopyError> {
        root.open_at(&src.path, flags, follow)?
            .ok_or_else(|| CopyError::Missing(src.path.clone()))
    };
    emit(&mut tar, &open, &st, &name, &src.path)?;
    tar.into_inner()
        .and_then(|mut w| w.flush())
        .map_err(CopyError::Tar)
}

/// A trailing `/` or `/.` names the directory a symlink points to.
fn follows(src: &CopyPath, follow: bool) -> bool {
    follow || src.trailing_slash || src.contents
}

fn open_source(root: &InRoot, src: &CopyPath, follow: bool) -> Result<(OwnedFd, Stat), CopyError> {
    let fd = root
        .open_at(&src.path, OFlags::PATH, follows(src, follow))?
        .ok_or_else(|| CopyError::Missing(src.path.clone()))?;
    let st = fstat(&fd).at(&src.path)?;
    if (src.trailing_slash || src.contents) && file_type(&st) != FileType::Directory {
        return Err(CopyError::NotADirectory(src.path.clone()));
    }
    Ok((fd, st))
}

type Opener<'a> = dyn Fn(OFlags) -> Result<OwnedFd, CopyError> + 'a;

/// One entry (and, for a directory, everything under it), which `open`
/// opens with the flags it is given (never following a symlink the caller
/// did not mean to). `st` is its stat; `name` its path in the stream
/// (empty: the top of a contents copy, which has no entry of its own).
fn emit<W: Write>(
    tar: &mut tar::Builder<W>,
    open: &Opener<'_>,
    st: &Stat,
    name: &Path,
    shown: &Path,
) -> Result<(), CopyError> {
    let kind = file_type(st);
    let mut header = tar::Header::new_gnu();
    header.set_mode(st.st_mode & 0o7777);
    header.set_uid(u64::from(st.st_uid));
    header.set_gid(u64::from(st.st_gid));
    header.set_mtime(u64::try_from(st.st_mtime).unwrap_or(0));
    header.set_size(0);
    let tar_err = CopyError::Tar;
    match kind {
        FileType::Directory => {
            let dir = open(OFlags::RDONLY | OFlags::DIRECTORY)?;
            if !name.as_os_str().is_empty() {
                header.set_entry_type(tar::EntryType::Directory);
                tar.append_data(&mut header, name, std::io::empty())
                    .map_err(tar_err)?;
            }
            let mut names: Vec<Vec<u8>> = Vec::new();
            for entry in Dir::read_from(&dir).at(shown)? {
                let entry = entry.at(shown)?;
                let n = entry.file_name().to_bytes();
                if n != b"." && n != b".." {
                    names.push(n.to_vec());
                }
            }
            // A stable order: the same tree gives the same stream.
            names.sort();
            for n in names {
                let child_name = OsStr::from_bytes(&n);
                let child_shown = shown.join(child_name);
                let open_child = |flags: OFlags| -> Result<OwnedFd, CopyError> {
                    openat(
                        &dir,
                        child_name,
                        flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
                        Mode::empty(),
                    )
                    .at(&child_shown)
                };
                let child_st = fstat(open_child(OFlags::PATH)?).at(&child_shown)?;
                emit(
                    tar,
                    &open_child,
                    &child_st,
                    &name.join(child_name),
                    &child_shown,
                )?;
            }
        }
        FileType::RegularFile => {
            // Non-blocking: a fifo swapped in since the stat cannot hang us.
            let file = File::from(open(OFlags::RDONLY | OFlags::NONBLOCK)?);
            let now = fstat(&file).at(shown)?;
            if file_type(&now) != FileType::RegularFile {
                return Err(CopyError::Io {
                    path: shown.to_owned(),
                    source: std::io::Error::other("changed while it was copied"),
                });
            }
            let size = u64::try_from(now.st_size).unwrap_or(0);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(size);
            tar.append_data(&mut header, name, std::io::Read::take(file, size))
                .map_err(tar_err)?;
        }
        FileType::Symlink => {
            let target = readlinkat(open(OFlags::PATH)?, "", Vec::new()).at(shown)?;
            header.set_entry_type(tar::EntryType::Symlink);
            let target = OsStr::from_bytes(target.as_bytes()).to_owned();
            tar.append_link(&mut header, name, Path::new(&target))
                .map_err(tar_err)?;
        }
        FileType::Fifo | FileType::CharacterDevice | FileType::BlockDevice => {
            header.set_entry_type(match kind {
                FileType::Fifo => tar::EntryType::Fifo,
                FileType::CharacterDevice => tar::EntryType::Char,
                _ => tar::EntryType::Block,
            });
            let dev = st.st_rdev;
            header
                .set_device_major(rustix::fs::major(dev))
                .map_err(tar_err)?;
            header
                .set_device_minor(rustix::fs::minor(dev))
                .map_err(tar_err)?;
            tar.append_data(&mut header, name, std::io::empty())
                .map_err(tar_err)?;
        }
        // A socket has no contents to carry (docker skips it too).
        _ => {}
    }
    Ok(())
}

fn file_type(st: &Stat) -> FileType {
    FileType::from_raw_mode(st.st_mode)
}
