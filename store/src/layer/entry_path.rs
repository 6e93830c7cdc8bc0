//! Turning a tar entry's path into a place under the target directory that
//! cannot escape it.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::root::{Probe, Root};
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

/// What a symlink met on the way does when it points outside the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OuterLinks {
    /// Refused: a layer's own symlinks must not lead out of it.
    Refuse,
    /// Resolved as the container will: an absolute target restarts at the
    /// root and `..` stops there (a chroot), so nothing outside is reached.
    /// An image's `/var/run -> /run` is an ordinary thing to ADD through.
    FromRoot,
}

/// Resolves directory components under the root as if it were `/`,
/// following symlinks only inside it and making each directory on the
/// way exist where entries are written. Returns the resolved components.
pub fn resolve_dir(
    root: &mut dyn Root,
    comps: &[OsString],
    entry: &str,
    outer: OuterLinks,
) -> Result<Vec<OsString>, StoreError> {
    let mut stack: Vec<OsString> = Vec::new();
    let mut queue: VecDeque<OsString> = comps.iter().cloned().collect();
    let mut hops = 0;
    while let Some(c) = queue.pop_front() {
        if c.is_empty() || c == "." {
            continue;
        }
        if c == ".." {
            if stack.pop().is_none() && outer == OuterLinks::Refuse {
                return Err(StoreError::hostile(
                    entry,
                    "a symlink in its path leads outside the layer root",
                ));
            }
            continue;
        }
        stack.push(c);
        let probe = root
            .probe(&stack)
            .map_err(|e| io_err(&root.host(&stack), e))?;
        match probe {
            Probe::Symlink(target) => {
                stack.pop();
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(StoreError::hostile(entry, "too many levels of symlinks"));
                }
                let bytes = target.as_os_str().as_bytes();
                if bytes.starts_with(b"/") {
                    if outer == OuterLinks::Refuse {
                        return Err(StoreError::hostile(
                            entry,
                            format!(
                                "its parent is a symlink to {} (outside the layer root)",
                                target.display()
                            ),
                        ));
                    }
                    stack.clear();
                }
                let mut expanded: VecDeque<OsString> = bytes
                    .split(|b| *b == b'/')
                    .map(|p| OsStr::from_bytes(p).to_os_string())
                    .collect();
                expanded.extend(queue.drain(..));
                queue = expanded;
            }
            Probe::Dir => root
                .enter_dir(&stack, true)
                .map_err(|e| io_err(&root.host(&stack), e))?,
            Probe::Missing => root
                .enter_dir(&stack, false)
                .map_err(|e| io_err(&root.host(&stack), e))?,
            Probe::Other => {
                return Err(StoreError::hostile(
                    entry,
                    format!("{} is not a directory", root.host(&stack).display()),
                ));
            }
        }
    }
    Ok(stack)
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
    use crate::layer::root::DirRoot;
    use std::fs;

    fn dir_at(
        root: &Path,
        comps: &[&str],
        outer: OuterLinks,
    ) -> Result<std::path::PathBuf, StoreError> {
        let comps: Vec<OsString> = comps.iter().map(OsString::from).collect();
        let mut r = DirRoot::new(root);
        let got = resolve_dir(&mut r, &comps, "e", outer)?;
        Ok(r.host(&got))
    }

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
        let refuse = OuterLinks::Refuse;
        assert_eq!(dir_at(root, &["lib", "x"], refuse)?, root.join("usr/lib/x"));
        assert!(dir_at(root, &["usr", "up", "up2"], refuse).is_ok());
        std::os::unix::fs::symlink("../../..", root.join("usr/lib/esc"))?;
        assert!(dir_at(root, &["lib", "esc"], refuse).is_err());
        assert!(dir_at(root, &["abs"], refuse).is_err());

        // As a chroot: the same links stay inside instead.
        let chroot = OuterLinks::FromRoot;
        assert_eq!(dir_at(root, &["abs", "x"], chroot)?, root.join("etc/x"));
        assert_eq!(dir_at(root, &["lib", "esc", "y"], chroot)?, root.join("y"));
        Ok(())
    }
}
