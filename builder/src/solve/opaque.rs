//! Which directories of a RUN step's upper dir stay opaque. overlayfs marks
//! a directory opaque when it is made over a whiteout (where the step
//! removed something of the lower layers and made a directory there), and,
//! on kernels with `redirect_dir`, `index` or `metacopy` on, every
//! directory made inside a merged one (an optimisation of its lookups; 713
//! such marks in one npm layer). A mark only means something where the
//! lower layers have the path: BuildKit's overlay differ counts an opaque
//! directory only then (`checkOpaque` lstats the path below), and docker
//! 20.10 here writes `.wh..wh..opq` for exactly the directories made over
//! a whiteout, a directory that replaced a file included. The other marks
//! are cleared before the upper dir becomes a snapshot, so their layer
//! entries carry no marker.

use std::io;
use std::path::Path;

use crate::layered::LayeredFs;
use crate::tree::{Tree, join};

const OPAQUE_XATTRS: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];

/// Clears the opaque mark of every directory of `upper` whose path the
/// lower layers do not have; returns how many were cleared.
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
        let hides = lowers.is_some_and(|l| l.lstat(&child).is_some());
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
    fn only_directories_over_something_of_the_lower_layers_stay_opaque() {
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
        assert!(is_marked(&up.join("file")), "file replaced a lower file");
        for d in [
            "etc/ssl",
            "usr/lib/new",
            "usr/lib/new/deeper",
            "newdir",
            "newdir/a",
        ] {
            assert!(!is_marked(&up.join(d)), "{d} hides nothing below");
        }
        assert!(
            !is_marked(&up.join("srv")),
            "an unmarked dir stays unmarked"
        );
        assert_eq!(cleared, 5);
    }
}
