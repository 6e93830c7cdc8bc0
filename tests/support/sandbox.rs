//! The sandbox and run tests: privileges, `strata sandbox`, overlay xattrs.

use std::path::Path;
use std::process::Output;

use super::cli::strata_bin;

pub fn is_root() -> bool {
    // The effective uid, without linking libc into the tests.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `strata sandbox --rootfs ROOT [flags] -- sh -c SCRIPT`.
pub fn sandbox_sh(root: &Path, flags: &[&str], script: &str) -> Output {
    strata_bin()
        .arg("sandbox")
        .arg("--rootfs")
        .arg(root)
        .args(flags)
        .args(["--", "sh", "-c", script])
        .output()
        .unwrap()
}

/// The value of extended attribute `name` on `path`, if set.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    let n = rustix::fs::lgetxattr(path, name, &mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}
