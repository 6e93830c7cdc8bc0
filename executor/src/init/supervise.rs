//! The wait loop of both init processes: forward every signal to the child,
//! reap every zombie (pid 1 inherits orphans), return the child's status.

use rustix::process::{Pid, Signal, WaitOptions, kill_process, wait};

use crate::ExitStatus;
use crate::sys;

pub(super) fn until_exit(child: Pid) -> ExitStatus {
    loop {
        if let Some(status) = reap(child) {
            return status;
        }
        // A timeout bounds the cost of any race between a child's exit and
        // our wait; SIGCHLD normally wakes us at once.
        match sys::wait_signal(1000) {
            Ok(Some(sig)) if sig == libc::SIGCHLD => {}
            Ok(Some(sig)) => {
                if let Some(sig) = Signal::from_named_raw(sig) {
                    let _ = kill_process(child, sig);
                }
            }
            Ok(None) | Err(_) => {}
        }
    }
}

/// Reaps every exited child; returns `child`'s status once it is among them.
pub(super) fn reap(child: Pid) -> Option<ExitStatus> {
    let mut ended = None;
    // `wait` is wait4(-1): any child. waitpid(None) would be wait4(0), only
    // our process group, and miss a workload that called setsid.
    while let Ok(Some((pid, status))) = wait(WaitOptions::NOHANG) {
        if pid == child {
            ended = Some(match (status.exit_status(), status.terminating_signal()) {
                (Some(code), _) => ExitStatus::Exited(code),
                (None, Some(sig)) => ExitStatus::Signaled(sig),
                (None, None) => ExitStatus::Exited(1),
            });
        }
    }
    ended
}
