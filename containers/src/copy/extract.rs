//! A tar stream unpacked into a directory. Each entry's parent is resolved
//! with that directory as the root (RESOLVE_IN_ROOT), so no entry name and
//! no symlink the stream makes can lead a write out of it; the entry itself
//! is made with *at calls on its parent that never follow a symlink.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{
    AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, chmodat, chownat, linkat, mkdirat,
    mknodat, openat, statat, symlinkat, unlinkat, utimensat,
};
use rustix::io::Errno;

use super::error::{CopyError, IoAt};
use super::in_root::{InRoot, open_in};
use super::rules::Plan;

/// Who owns what is unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owners {
    /// The root of the namespace we write in (docker's default into a container).
    Root,
    /// The stream's uid and gid (`cp -a`).
    Keep,
    /// Whoever we are (docker's default onto the host).
    Caller,
}

/// Unpacks `input` as `plan` says, under `root`.
pub fn extract(
    root: &InRoot,
    plan: &Plan,
    owners: Owners,
    input: impl Read,
) -> Result<(), CopyError> {
    let base = root
        .open_at(&plan.into, OFlags::PATH | OFlags::DIRECTORY, true)?
        .ok_or_else(|| CopyError::Missing(plan.into.clone()))?;
    let shown = |rel: &Path| plan.into.join(rel);
    let mut archive = tar::Archive::new(input);
    // Directories get their times last: their entries would change them.
    let mut dir_times: Vec<(PathBuf, u64)> = Vec::new();
    for entry in archive.entries().map_err(CopyError::Tar)? {
        let mut entry = entry.map_err(CopyError::Tar)?;
        let raw = entry.path().map_err(CopyError::Tar)?.into_owned();
        let rel = rebase(&raw, plan.rebase.as_ref())?;
        let (Some(parent_rel), Some(name)) = (rel.parent(), rel.file_name()) else {
            continue;
        };
        let name = name.to_owned();
        let path = shown(&rel);
        let parent = ensure_dirs(&base, parent_rel, &plan.into)?;
        let existing = match statat(&parent, &name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Some(FileType::from_raw_mode(st.st_mode)),
            Err(Errno::NOENT) => None,
            Err(e) => return Err(e).at(&path),
        };
        let header = entry.header().clone();
        let mode = Mode::from_raw_mode(header.mode().map_err(CopyError::Tar)? & 0o7777);
        let kind = header.entry_type();
        let replace = |existing: Option<FileType>| -> Result<(), CopyError> {
            match existing {
                Some(FileType::Directory) => Err(CopyError::FileOntoDir(path.clone())),
                Some(_) => unlinkat(&parent, &name, AtFlags::empty()).at(&path),
                None => Ok(()),
            }
        };
        let mut kept_dir = false;
        match kind {
            // docker's NoOverwriteDirNonDir, both ways.
            tar::EntryType::Directory => match existing {
                Some(FileType::Directory) => kept_dir = true,
                Some(_) => {
                    return Err(CopyError::DirOntoFile {
                        dest: path.clone(),
                        source_path: raw.clone(),
                    });
                }
                None => mkdirat(&parent, &name, Mode::from_raw_mode(0o700)).at(&path)?,
            },
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
                // A regular file is written in place (it may be a bind
                // mount, as /etc/hosts is, which cannot be replaced).
                let flags = if existing == Some(FileType::RegularFile) {
                    flags | OFlags::TRUNC
                } else {
                    replace(existing)?;
                    flags | OFlags::CREATE | OFlags::EXCL
                };
                let fd = openat(&parent, &name, flags, Mode::from_raw_mode(0o600)).at(&path)?;
                std::io::copy(&mut entry, &mut std::fs::File::from(fd)).at(&path)?;
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(CopyError::Tar)?
                    .unwrap_or_default()
                    .into_owned();
                replace(existing)?;
                symlinkat(&target, &parent, &name).at(&path)?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(CopyError::Tar)?
                    .unwrap_or_default()
                    .into_owned();
                let target = rebase(&target, plan.rebase.as_ref())?;
                let (Some(tp), Some(tn)) = (target.parent(), target.file_name()) else {
                    return Err(CopyError::Outside(target.display().to_string()));
                };
                let tparent = open_in(&base, tp, OFlags::PATH | OFlags::DIRECTORY, true)
                    .at(&shown(tp))?
                    .ok_or_else(|| CopyError::Missing(shown(&target)))?;
                replace(existing)?;
                linkat(&tparent, tn, &parent, &name, AtFlags::empty()).at(&path)?;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let ft = match kind {
                    tar::EntryType::Char => FileType::CharacterDevice,
                    tar::EntryType::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                let dev = rustix::fs::makedev(
                    header.device_major().ok().flatten().unwrap_or(0),
                    header.device_minor().ok().flatten().unwrap_or(0),
                );
                replace(existing)?;
                mknodat(&parent, &name, ft, mode, dev).at(&path)?;
            }
            // Extended headers are read by the tar crate; nothing else is made.
            _ => continue,
        }
        if kept_dir {
            // An existing directory keeps its owner, mode and times.
            continue;
        }
        let ids = match owners {
            Owners::Root => Some((0, 0)),
            Owners::Keep => Some((
                header.uid().map_err(CopyError::Tar)?,
                header.gid().map_err(CopyError::Tar)?,
            )),
            Owners::Caller => None,
        };
        if let Some((uid, gid)) = ids {
            let id = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            chownat(
                &parent,
                &name,
                Some(rustix::fs::Uid::from_raw(id(uid))),
                Some(rustix::fs::Gid::from_raw(id(gid))),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .at(&path)?;
        }
        let mtime = header.mtime().unwrap_or(0);
        if kind == tar::EntryType::Symlink {
            set_mtime(&parent, &name, mtime).at(&path)?;
            continue;
        }
        // After the chown, which clears set-id bits.
        chmodat(&parent, &name, mode, AtFlags::empty()).at(&path)?;
        if kind == tar::EntryType::Directory {
            dir_times.push((rel.clone(), mtime));
        } else {
            set_mtime(&parent, &name, mtime).at(&path)?;
        }
    }
    for (rel, mtime) in dir_times.iter().rev() {
        if let (Some(p), Some(n)) = (rel.parent(), rel.file_name())
            && let Some(parent) = open_in(&base, p, OFlags::PATH, true).at(&shown(rel))?
        {
            set_mtime(&parent, n, *mtime).at(&shown(rel))?;
        }
    }
    Ok(())
}

/// `input`, gunzipped when it starts with gzip's magic bytes.
pub fn decompressed<'a>(input: impl Read + 'a) -> Result<Box<dyn Read + 'a>, CopyError> {
    let mut input = std::io::BufReader::new(input);
    let gzipped = std::io::BufRead::fill_buf(&mut input)
        .map_err(CopyError::Tar)?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        Box::new(flate2::read::GzDecoder::new(input))
    } else {
        Box::new(input)
    })
}

fn set_mtime(parent: &OwnedFd, name: &std::ffi::OsStr, mtime: u64) -> rustix::io::Result<()> {
    let t = Timespec {
        tv_sec: i64::try_from(mtime).unwrap_or(0),
        tv_nsec: 0,
    };
    utimensat(
        parent,
        name,
        &Timestamps {
            last_access: t,
            last_modification: t,
        },
        AtFlags::SYMLINK_NOFOLLOW,
    )
}

/// The entry's path under the destination: `.` and `/` dropped, `..`
/// refused, the top name renamed as the plan says.
fn rebase(raw: &Path, rebase: Option<&(String, String)>) -> Result<PathBuf, CopyError> {
    let mut clean = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::Normal(n) => clean.push(n),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => return Err(CopyError::Outside(raw.display().to_string())),
        }
    }
    let Some((from, to)) = rebase else {
        return Ok(clean);
    };
    if from == "." {
        return Ok(Path::new(to).join(clean));
    }
    match clean.strip_prefix(from) {
        Ok(rest) => Ok(Path::new(to).join(rest)),
        Err(_) => Ok(clean),
    }
}

/// Opens `rel`'s directories under `base` (as the root), making the
/// missing ones.
fn ensure_dirs(base: &OwnedFd, rel: &Path, shown: &Path) -> Result<OwnedFd, CopyError> {
    let mut cur = rustix::io::dup(base).at(shown)?;
    let mut prefix = PathBuf::new();
    for c in rel.components() {
        prefix.push(c);
        let path = shown.join(&prefix);
        let found = open_in(base, &prefix, OFlags::PATH, true).at(&path)?;
        cur = match found {
            Some(fd) => fd,
            None => {
                mkdirat(&cur, c.as_os_str(), Mode::from_raw_mode(0o755)).at(&path)?;
                open_in(base, &prefix, OFlags::PATH, true)
                    .at(&path)?
                    .ok_or_else(|| CopyError::Missing(path.clone()))?
            }
        };
        let st = rustix::fs::fstat(&cur).at(&path)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
            return Err(CopyError::NotADirectory(path));
        }
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rebase: Option<(&str, &str)>) -> Option<(String, String)> {
        rebase.map(|(a, b)| (a.to_owned(), b.to_owned()))
    }

    #[test]
    fn the_top_name_is_renamed_and_dot_dot_refused() {
        let r = plan(Some(("hosts", "h2")));
        assert_eq!(
            rebase(Path::new("hosts"), r.as_ref()).ok(),
            Some(PathBuf::from("h2"))
        );
        let r = plan(Some((".", "new")));
        assert_eq!(
            rebase(Path::new("./a/b"), r.as_ref()).ok(),
            Some(PathBuf::from("new/a/b"))
        );
        assert!(matches!(
            rebase(Path::new("a/../../x"), None),
            Err(CopyError::Outside(_))
        ));
    }
}
