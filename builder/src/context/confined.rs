//! Reading a file the build context supplies (its Dockerfile, its
//! .dockerignore) without following a symlink out of the context, as
//! BuildKit's context transfer never sends what lies outside. A context
//! whose Dockerfile links to /etc/shadow or /proc/self/environ would
//! otherwise have the file read, and quoted in the parse error.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};

#[derive(Debug, thiserror::Error)]
pub enum ConfinedError {
    #[error(
        "{} leads outside the directory {} (a symlink to {}): refusing to read it",
        path.display(), root.display(), target.display()
    )]
    Outside {
        path: PathBuf,
        root: PathBuf,
        target: PathBuf,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The contents of `rel` under `root`, resolved beneath `root` only:
/// symlinks are followed while they stay inside; one that leaves it
/// (absolute, `..` past the root, /proc magic links) is refused. `None`
/// when the file does not exist.
pub fn read_confined(root: &Path, rel: &Path) -> Result<Option<Vec<u8>>, ConfinedError> {
    let path = root.join(rel);
    let io_err = |source| ConfinedError::Io {
        path: path.clone(),
        source,
    };
    let dir = File::open(root).map_err(|source| ConfinedError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let opened = rustix::fs::openat2(
        &dir,
        rel,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    );
    let fd = match opened {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(rustix::io::Errno::XDEV | rustix::io::Errno::LOOP) => {
            return Err(ConfinedError::Outside {
                target: first_outer_link(root, rel),
                path,
                root: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(e.into())),
    };
    let mut bytes = Vec::new();
    File::from(fd).read_to_end(&mut bytes).map_err(io_err)?;
    Ok(Some(bytes))
}

/// For the message only: the target of the first symlink on the way to
/// `rel` (never the contents of anything).
fn first_outer_link(root: &Path, rel: &Path) -> PathBuf {
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        if let Ok(target) = std::fs::read_link(&at) {
            return target;
        }
    }
    PathBuf::from("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_followed_and_links_outside_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("ctx");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/real"), "FROM scratch\n").unwrap();
        std::fs::write(t.path().join("secret"), "s3cret").unwrap();
        symlink("sub/real", root.join("inside")).unwrap();
        symlink("../secret", root.join("up")).unwrap();
        symlink(t.path().join("secret"), root.join("abs")).unwrap();
        symlink("/proc/self/environ", root.join("environ")).unwrap();

        let got = read_confined(&root, Path::new("inside")).unwrap();
        assert_eq!(got.as_deref(), Some(&b"FROM scratch\n"[..]));
        assert!(
            read_confined(&root, Path::new("missing"))
                .unwrap()
                .is_none()
        );
        for name in ["up", "abs", "environ"] {
            let err = read_confined(&root, Path::new(name))
                .unwrap_err()
                .to_string();
            assert!(err.contains("leads outside"), "{name}: {err}");
            assert!(!err.contains("s3cret"), "{name}: {err}");
        }
    }
}
