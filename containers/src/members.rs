//! The processes of a running container, as the host numbers them: every
//! process in the container's pid namespace (the one its outer init makes
//! for its children), found by the namespace's inode in /proc. Used by
//! `top`, which then runs the host's `ps`: nothing from the image runs.

use std::os::unix::fs::MetadataExt;

use crate::container::Container;
use crate::error::{ContainerError, IoContext};
use crate::status::Status;

/// Host pids of the container's processes, ascending.
pub fn processes(c: &Container) -> Result<Vec<u32>, ContainerError> {
    let state = c.refresh()?;
    let init = match (state.status, &state.init) {
        (Status::Running | Status::Paused, Some(init)) if init.is_alive() => init,
        _ => return Err(ContainerError::NotRunning(c.id().to_owned())),
    };
    let ns_path = format!("/proc/{}/ns/pid_for_children", init.pid);
    let ns = match std::fs::metadata(&ns_path) {
        // Rootless: the inits are not dumpable and the workload runs as a
        // subordinate id, so no namespace link can be read: walk the
        // process tree below the outer init instead.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let mut pids = descendants(init.pid);
            pids.sort_unstable();
            return Ok(pids);
        }
        other => other.ctx("read the pid namespace of", &ns_path)?,
    };
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .ctx("list", "/proc")?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // A process that ended meanwhile is simply not listed.
            std::fs::metadata(format!("/proc/{pid}/ns/pid"))
                .is_ok_and(|m| m.ino() == ns.ino() && m.dev() == ns.dev())
        })
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Every process below `root` (not `root` itself), from the children
/// lists of each of their threads.
fn descendants(root: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.filter_map(Result::ok) {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                found.push(child);
                queue.push(child);
            }
        }
    }
    found
}
