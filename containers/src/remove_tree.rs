//! Removing a container's tree. overlayfs leaves `work/work` with mode 000
//! (owned by the caller when rootless), which remove_dir_all cannot list:
//! open such dirs up and try again.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{ContainerError, IoContext};

pub(crate) fn remove_tree(path: &Path) -> Result<(), ContainerError> {
    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
        return Ok(());
    }
    walk_dirs(path);
    std::fs::remove_dir_all(path).ctx("remove", path)
}

/// Every directory under `path`, parents before children, opening each
/// before it is listed.
fn walk_dirs(path: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![path.to_owned()];
    let mut i = 0;
    while let Some(dir) = out.get(i).cloned() {
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(e.path());
                }
            }
        }
        i += 1;
    }
    out
}
