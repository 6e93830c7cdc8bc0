//! docker cp's SRC_PATH/DEST_PATH table: where a stream is unpacked and
//! what its top entry is renamed to.
//!
//! | source | destination | result |
//! |---|---|---|
//! | file | missing | a file of that name (its parent must exist; not with a trailing `/`) |
//! | file | file | overwritten |
//! | file | dir | copied into it, under its own name |
//! | dir | missing | created, with the source's contents |
//! | dir | file | error |
//! | dir (`/.` at the end) | dir | its contents copied into the dir |
//! | dir | dir | copied into it, under its own name |

use std::path::{Path, PathBuf};

use std::os::unix::ffi::OsStrExt;

use rustix::fs::{FileType, OFlags};

use super::error::{CopyError, IoAt};
use super::in_root::InRoot;

/// A path as the user wrote it: docker's rules read its trailing `/` and
/// `/.`, which a normalized path loses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPath {
    pub path: PathBuf,
    /// Ends with `/`: it must be a directory.
    pub trailing_slash: bool,
    /// Ends with `/.` (or is `.`): a directory's contents, not itself.
    pub contents: bool,
}

impl CopyPath {
    pub fn parse(raw: &str) -> Self {
        let contents = raw == "." || raw.ends_with("/.");
        Self {
            path: PathBuf::from(raw),
            trailing_slash: raw.ends_with('/'),
            contents,
        }
    }

    /// The stream's top name for this source: its last part, or `.` for
    /// contents (children then come at the top of the stream).
    pub fn top_name(&self) -> String {
        if self.contents {
            return ".".to_owned();
        }
        match self.path.file_name() {
            Some(name) => name.to_string_lossy().into_owned(),
            None => ".".to_owned(),
        }
    }
}

/// What the destination side knows of the source before the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub is_dir: bool,
    /// The stream's top name ([`CopyPath::top_name`]).
    pub top: String,
    /// For messages.
    pub path: PathBuf,
}

/// Where to unpack: an existing directory, and the stream's top name
/// renamed (`from` → `to`; `from` `.` puts the top-level entries under `to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub into: PathBuf,
    pub rebase: Option<(String, String)>,
}

/// Applies the table to `dest` under `root`; `source` `None` is a tar
/// stream from stdin, which goes into an existing directory as it is.
/// Nothing is written here.
pub fn plan(root: &InRoot, dest: &CopyPath, source: Option<&Source>) -> Result<Plan, CopyError> {
    let found = match root.open_at(&dest.path, OFlags::PATH, true) {
        // A magic link (/dev/stdout is /proc/self/fd/1) leads out of any root.
        Err(CopyError::Io { source, .. }) if source.raw_os_error() == Some(libc::EXDEV) => {
            return Err(CopyError::NotFileOrDir(dest.path.clone()));
        }
        found => found?,
    };
    let is_dir = match &found {
        Some(fd) => Some(match file_type(fd, &dest.path)? {
            FileType::Directory => true,
            FileType::RegularFile => false,
            // /dev/stdout, a fifo: nothing a copy may replace.
            _ => return Err(CopyError::NotFileOrDir(dest.path.clone())),
        }),
        None => None,
    };
    // A symlink as the destination is written through, as docker and
    // podman do: a dangling one makes its target.
    let dest = &if dest.trailing_slash || is_dir == Some(true) {
        dest.clone()
    } else {
        CopyPath {
            path: final_target(root, &dest.path)?,
            ..dest.clone()
        }
    };
    let Some(source) = source else {
        return match is_dir {
            Some(true) => Ok(Plan {
                into: dest.path.clone(),
                rebase: None,
            }),
            _ => Err(CopyError::StreamNotIntoDir(dest.path.clone())),
        };
    };
    match is_dir {
        Some(true) => Ok(Plan {
            into: dest.path.clone(),
            rebase: None,
        }),
        Some(false) if source.is_dir => Err(CopyError::DirOntoFile {
            dest: dest.path.clone(),
            source_path: source.path.clone(),
        }),
        Some(false) if dest.trailing_slash => Err(CopyError::NotADirectory(dest.path.clone())),
        Some(false) => renamed(root, dest, source),
        None if dest.trailing_slash && !source.is_dir => {
            Err(CopyError::MissingDirectory(dest.path.clone()))
        }
        None => renamed(root, dest, source),
    }
}

/// Into the destination's parent, the top entry taking its name.
fn renamed(root: &InRoot, dest: &CopyPath, source: &Source) -> Result<Plan, CopyError> {
    let (Some(parent), Some(name)) = (dest.path.parent(), dest.path.file_name()) else {
        return Err(CopyError::Missing(dest.path.clone()));
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new("/")
    } else {
        parent
    };
    match root.open_at(parent, OFlags::PATH, true)? {
        None => return Err(CopyError::Missing(parent.to_owned())),
        Some(fd) if !is_dir(&fd, parent)? => {
            return Err(CopyError::NotADirectory(parent.to_owned()));
        }
        Some(_) => {}
    }
    Ok(Plan {
        into: parent.to_owned(),
        rebase: Some((source.top.clone(), name.to_string_lossy().into_owned())),
    })
}

fn is_dir(fd: &std::os::fd::OwnedFd, path: &Path) -> Result<bool, CopyError> {
    Ok(file_type(fd, path)? == FileType::Directory)
}

fn file_type(fd: &std::os::fd::OwnedFd, path: &Path) -> Result<FileType, CopyError> {
    let st = rustix::fs::fstat(fd).at(path)?;
    Ok(FileType::from_raw_mode(st.st_mode))
}

/// `path` with its last part's symlinks followed (the parts before it the
/// kernel resolves under the root), as a path under the root.
fn final_target(root: &InRoot, path: &Path) -> Result<PathBuf, CopyError> {
    let mut at = path.to_owned();
    // The kernel's own limit on a chain of links.
    for _ in 0..40 {
        let Some(fd) = root.open_at(&at, OFlags::PATH, false)? else {
            return Ok(at);
        };
        if file_type(&fd, &at)? != FileType::Symlink {
            return Ok(at);
        }
        let target = rustix::fs::readlinkat(&fd, "", Vec::new()).at(&at)?;
        let target = PathBuf::from(std::ffi::OsStr::from_bytes(target.as_bytes()));
        at = match at.parent() {
            Some(parent) if target.is_relative() => parent.join(target),
            _ => target,
        };
    }
    Err(CopyError::Io {
        path: path.to_owned(),
        source: std::io::Error::from_raw_os_error(libc::ELOOP),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash_and_dot_are_read_before_normalizing() {
        let p = CopyPath::parse("/etc/");
        assert!(p.trailing_slash && !p.contents);
        assert_eq!(p.top_name(), "etc");
        let p = CopyPath::parse("/etc/.");
        assert!(p.contents && !p.trailing_slash);
        assert_eq!(p.top_name(), ".");
        assert_eq!(CopyPath::parse("/").top_name(), ".");
    }
}
