//! The size and free space of the filesystem holding a path (statvfs),
//! for limits that default to a share of the disk.

use std::io;
use std::path::Path;

/// Bytes the filesystem holding `path` has in all.
pub fn total_bytes(path: &Path) -> io::Result<u64> {
    let st = rustix::fs::statvfs(path)?;
    Ok(st.f_blocks.saturating_mul(st.f_frsize))
}

/// Bytes an unprivileged writer may still use on the filesystem of `path`.
pub fn available_bytes(path: &Path) -> io::Result<u64> {
    let st = rustix::fs::statvfs(path)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filesystem_has_room_and_no_more_free_than_in_all() {
        let t = tempfile::tempdir().unwrap();
        let total = total_bytes(t.path()).unwrap();
        assert!(total > 0);
        assert!(available_bytes(t.path()).unwrap() <= total);
        assert!(total_bytes(&t.path().join("missing")).is_err());
    }
}
