//! Turning a tar entry's path into a place under the target directory that
//! cannot escape it.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// Symlink hops allowed while resolving one path (as Linux's MAXSYMLINKS).
const MAX_SYMLINK_HOPS: usize = 40;

/// The path's components after dropping `./` and empty parts. Absolute
/// paths and `..` are refused: a layer names paths inside itself.
pub fn clean_components(raw: &[u8]) -> Result<Vec<OsString>, StoreError> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    if raw.starts_with(b"/") {
        return Err(StoreError::hostile(shown, "absolute path"));
    }
    let mut out = Vec::new();
    for c in raw.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err(StoreError::hostile(shown, "path contains '..'")),
            _ => {
                if c.contains(&0) {
                    return Err(StoreError::hostile(shown, "NUL byte in path"));
                }
                out.push(OsStr::from_bytes(c).to_os_string())
            }
        }
    }
    Ok(out)
}

/// Resolves directory components under `root` as if `root` were `/`,
/// following symlinks only while they stay inside and creating missing
/// directories. A symlink pointing outside (absolute, or `..` past the
/// root) is refused: following it would write into the host.
pub fn resolve_dir(root: &Path, comps: &[OsString], entry: &str) -> Result<PathBuf, StoreError> {
    let mut stack: Vec<OsString> = Vec::new();
    let mut queue: std::collections::VecDeque<OsString> = comps.iter().cloned().collect();
    let mut hops = 0;
    while let Some(c) = queue.pop_front() {
        if c.is_empty() || c == "." {
            continue;
        }
        if c == ".." {
            if stack.pop().is_none() {
                return Err(StoreError::hostile(
                    entry,
                    "a symlink in its path leads outside the layer root",
                ));
            }
            continue;
        }
        let here = join(root, &stack).join(&c);
        match fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(StoreError::hostile(entry, "too many levels of symlinks"));
                }
                let target = fs::read_link(&here).map_err(|e| io_err(&here, e))?;
                let bytes = target.as_os_str().as_bytes();
                if bytes.starts_with(b"/") {
                    return Err(StoreError::hostile(
                        entry,
                        format!(
                            "its parent is a symlink to {} (outside the layer root)",
                            target.display()
                        ),
                    ));
                }
                let mut expanded: Vec<OsString> = bytes
                    .split(|b| *b == b'/')
                    .map(|p| OsStr::from_bytes(p).to_os_string())
                    .collect();
                expanded.extend(queue.drain(..));
                queue = expanded.into();
            }
            Ok(m) if m.is_dir() => stack.push(c),
            Ok(_) => {
                return Err(StoreError::hostile(
                    entry,
                    format!("{} is not a directory", here.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&here).map_err(|e| io_err(&here, e))?;
                stack.push(c);
            }
            Err(e) => return Err(io_err(&here, e)),
        }
    }
    Ok(join(root, &stack))
}

fn join(root: &Path, comps: &[OsString]) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(comps);
    p
}

fn io_err(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        context: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_traversal_and_absolute_paths() {
        assert!(clean_components(b"../etc/passwd").is_err());
        assert!(clean_components(b"a/../../b").is_err());
        assert!(clean_components(b"/etc/passwd").is_err());
        let ok = clean_components(b"./a//b/./c/").unwrap_or_default();
        assert_eq!(ok, vec![OsString::from("a"), "b".into(), "c".into()]);
    }

    #[test]
    fn follows_inner_symlinks_but_not_outer_ones() -> Result<(), Box<dyn std::error::Error>> {
        let t = tempfile::tempdir()?;
        let root = t.path();
        fs::create_dir_all(root.join("usr/lib"))?;
        std::os::unix::fs::symlink("usr/lib", root.join("lib"))?;
        std::os::unix::fs::symlink("..", root.join("usr/up"))?;
        std::os::unix::fs::symlink("/etc", root.join("abs"))?;
        let got = resolve_dir(root, &[OsString::from("lib"), "x".into()], "lib/x/f")?;
        assert_eq!(got, root.join("usr/lib/x"));
        assert!(resolve_dir(root, &["usr".into(), "up".into(), "up2".into()], "e").is_ok());
        std::os::unix::fs::symlink("../../..", root.join("usr/lib/esc"))?;
        assert!(resolve_dir(root, &["lib".into(), "esc".into()], "e").is_err());
        assert!(resolve_dir(root, &["abs".into()], "e").is_err());
        Ok(())
    }
}
