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
    let ns = std::fs::metadata(&ns_path).ctx("read the pid namespace of", &ns_path)?;
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
