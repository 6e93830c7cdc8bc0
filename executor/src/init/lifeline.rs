//! A child that must die with its parent when the parent is in an outer
//! pid namespace (the outer init forking pid 1, an exec's joiner forking
//! into the sandbox): PR_SET_PDEATHSIG covers a parent that dies after
//! the call, and a pipe covers one that died before it. getppid() cannot:
//! across the namespace boundary it reads 0 whether the parent lives or
//! not.
//!
//! The parent keeps the pipe's write end for as long as it lives and
//! hands it to nobody (close-on-exec, and it forks only this child); the
//! child closes its copy, so a hang-up on its read end means the parent
//! is gone.

use std::os::fd::OwnedFd;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::pipe::{PipeFlags, pipe_with};

use super::Context;

pub(super) struct Lifeline {
    read: OwnedFd,
    write: OwnedFd,
}

impl Lifeline {
    /// Made before the fork.
    pub(super) fn new() -> Result<Self, String> {
        let (read, write) = pipe_with(PipeFlags::CLOEXEC).ctx(|| "the lifeline pipe".into())?;
        Ok(Self { read, write })
    }

    /// In the parent after the fork: keep the write end until exit.
    pub(super) fn hold(self) {
        drop(self.read);
        std::mem::forget(self.write);
    }

    /// In the child after the fork: SIGKILL when the parent goes, and an
    /// error if it is gone already.
    pub(super) fn tie(self) -> Result<(), String> {
        drop(self.write);
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .ctx(|| "set the parent death signal".into())?;
        let mut fds = [PollFd::new(&self.read, PollFlags::IN)];
        let ready =
            poll(&mut fds, Some(&Timespec::default())).ctx(|| "poll the lifeline pipe".into())?;
        if ready > 0 && fds[0].revents().intersects(PollFlags::HUP | PollFlags::IN) {
            return Err("the parent exited while the sandbox started".into());
        }
        Ok(())
    }
}
