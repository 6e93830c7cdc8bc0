//! The move of pid 1 into the device policy's cgroup (v1, or v2 with its
//! device program), made by the outer init while pid 1 builds the root.
//!
//! A write to a v1 `cgroup.procs` waits out an RCU grace period (tens of
//! milliseconds on a loaded host) before it moves anyone. Made by the
//! parent before the spawn, it delays the whole run; made here, it runs
//! alongside pid 1's mounts, and only the workload's fork waits for it:
//! the workload is born inside, so no process of the workload's ever
//! runs outside the policy. Pid 1 is our own code and opens no device of
//! the image before the move.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::pipe::{PipeFlags, pipe_with};

use super::Context;

/// Made before the fork: the outer init keeps the write end and the
/// cgroup file, pid 1 the read end. The file is opened before the fork
/// because pid 1's pivot_root moves the outer init's root too (they share
/// the mount namespace), so the path may be gone when the move is made.
pub(super) struct Gate {
    read: OwnedFd,
    write: OwnedFd,
    procs: std::fs::File,
}

pub(super) struct Waiter(OwnedFd);

impl Gate {
    pub(super) fn new(procs: &Path) -> Result<Self, String> {
        let (read, write) = pipe_with(PipeFlags::CLOEXEC).ctx(|| "the cgroup move pipe".into())?;
        // std opens with O_CLOEXEC.
        let procs = std::fs::OpenOptions::new()
            .write(true)
            .open(procs)
            .ctx(|| format!("open {}", procs.display()))?;
        Ok(Self { read, write, procs })
    }

    /// Pid 1's side.
    pub(super) fn waiter(self) -> Waiter {
        Waiter(self.read)
    }

    /// The outer init's side: moves `pid`, then tells pid 1 "ok", or the
    /// error.
    pub(super) fn open_after_moving(mut self, pid: rustix::process::Pid) {
        drop(self.read);
        let mut write = std::fs::File::from(self.write);
        let moved = self
            .procs
            .write_all(pid.as_raw_nonzero().to_string().as_bytes())
            .ctx(|| "move pid 1 into the device policy's cgroup".into());
        let said = match moved {
            Ok(()) => "ok".to_owned(),
            Err(msg) => msg,
        };
        // If pid 1 died meanwhile, supervising it reports why.
        let _ = write.write_all(said.as_bytes());
    }
}

impl Waiter {
    pub(super) fn wait(self) -> Result<(), String> {
        let mut said = String::new();
        let read = std::fs::File::from(self.0).read_to_string(&mut said);
        match (read, said.as_str()) {
            (Ok(_), "ok") => Ok(()),
            (Ok(_), "") | (Err(_), _) => Err("the outer init died before the cgroup move".into()),
            (Ok(_), msg) => Err(msg.to_owned()),
        }
    }
}
