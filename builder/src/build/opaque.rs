//! Which directories of a RUN step's upper dir stay opaque. overlayfs marks
//! a directory opaque when it is made over a whiteout (one that replaced
//! something of the lower layers), and, on kernels with `redirect_dir`,
//! `index` or `metacopy` on, every directory made inside a merged one (an
//! optimisation of its lookups). In the layer, the marker is only true
//! where a directory of the lower layers is hidden: BuildKit's overlay
//! differ treats an opaque directory as opaque only when the lower layers
//! have that path. The others lose the mark before the upper dir becomes a
//! snapshot, so their layer entries carry no `.wh..wh..opq`.

use std::io;
use std::path::Path;

use crate::layered::LayeredFs;
use crate::tree::{Tree, join};

const OPAQUE_XATTRS: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];

/// Clears the opaque mark of every directory of `upper` that hides no
/// directory of `lowers`; returns how many were cleared.
pub(crate) fn drop_idle_opaque_marks(upper: &Path, lowers: &LayeredFs) -> io::Result<usize> {
    let mut cleared = 0;
    visit(upper, ".", Some(lowers), &mut cleared)?;
    Ok(cleared)
}

/// `lowers` is `None` under a directory that was marked opaque: nothing
/// of the lower layers shows through there.
fn visit(
    upper: &Path,
    rel: &str,
    lowers: Option<&LayeredFs>,
    cleared: &mut usize,
) -> io::Result<()> {
    let dir = if rel == "." {
        upper.to_path_buf()
    } else {
        upper.join(rel)
    };
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = join(rel, &name);
        let path = entry.path();
        // Only marked directories are looked up below (most are not):
        // under an unmarked new directory a marked one is absent from the
        // lower layers as well, so passing them on gives the same answer.
        if !is_marked(&path) {
            visit(upper, &child, lowers, cleared)?;
            continue;
        }
        let hides = lowers.is_some_and(|l| l.lstat(&child).is_some_and(|n| n.meta.is_dir()));
        if !hides {
            clear(&path)?;
            *cleared += 1;
        }
        // Either way nothing of the lower layers shows through below it.
        visit(upper, &child, None, cleared)?;
    }
    Ok(())
}

fn is_marked(dir: &Path) -> bool {
    OPAQUE_XATTRS.iter().any(|name| {
        let mut buf = [0u8; 4];
        matches!(rustix::fs::lgetxattr(dir, *name, &mut buf), Ok(1) if buf[0] == b'y')
    })
}

fn clear(dir: &Path) -> io::Result<()> {
    for name in OPAQUE_XATTRS {
        match rustix::fs::lremovexattr(dir, name) {
            Ok(()) | Err(rustix::io::Errno::NODATA) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn mark(dir: &Path) {
        rustix::fs::lsetxattr(
            dir,
            "trusted.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
    }

    #[test]
    fn only_directories_that_hide_a_lower_directory_stay_opaque() {
        let t = tempfile::tempdir().unwrap();
        let (low, up) = (t.path().join("low"), t.path().join("up"));
        for d in ["etc/ssl", "usr/lib", "srv"] {
            fs::create_dir_all(low.join(d)).unwrap();
        }
        fs::write(low.join("file"), "").unwrap();
        // As a kernel with redirect_dir marks them: every new dir in a
        // merged one, plus the two made over whiteouts (etc, file).
        for d in ["etc/ssl", "usr/lib/new/deeper", "newdir/a", "file", "srv"] {
            fs::create_dir_all(up.join(d)).unwrap();
        }
        for d in [
            "etc",
            "etc/ssl",
            "usr/lib/new",
            "usr/lib/new/deeper",
            "newdir",
            "newdir/a",
            "file",
        ] {
            mark(&up.join(d));
        }
        let lowers = LayeredFs::new(vec![low]);
        let cleared = drop_idle_opaque_marks(&up, &lowers).unwrap();
        assert!(is_marked(&up.join("etc")), "etc replaced a lower directory");
        for d in [
            "etc/ssl",
            "usr/lib/new",
            "usr/lib/new/deeper",
            "newdir",
            "newdir/a",
            "file",
        ] {
            assert!(!is_marked(&up.join(d)), "{d} hides no lower directory");
        }
        assert_eq!(cleared, 6);
    }
}
