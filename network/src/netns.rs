//! Network namespaces kept alive by a bind-mounted nsfs file, as
//! `ip netns add` does, so netavark can be handed a path and the sandbox
//! can join it. util-linux's `unshare --net=FILE` makes one without an
//! unsafe fork in this crate.

use std::path::Path;
use std::process::Command;

use rustix::mount::{UnmountFlags, unmount};

use crate::error::{Error, Result, io};

pub fn create(path: &Path) -> Result<()> {
    // netavark brings the namespace's loopback up with its eth0.
    create_running(path, &["true"])
}

/// A namespace with its loopback up and nothing else.
pub fn create_with_loopback(path: &Path) -> Result<()> {
    create_running(path, &["ip", "link", "set", "lo", "up"])
}

fn create_running(path: &Path, command: &[&str]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    }
    std::fs::File::create(path).map_err(io("create", path))?;
    let out = Command::new("unshare")
        .arg(format!("--net={}", path.display()))
        .args(command)
        .output()
        .map_err(io("run unshare for", path))?;
    if !out.status.success() {
        let _ = remove(path);
        return Err(Error::Tool {
            tool: "unshare --net".into(),
            msg: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

/// Unmounts and removes the file; the namespace ends with its last user.
pub fn remove(path: &Path) -> Result<()> {
    match unmount(path, UnmountFlags::DETACH) {
        Ok(()) | Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOENT) => {}
        Err(e) => return Err(io("unmount", path)(e.into())),
    }
    crate::atomic::remove(path)
}
