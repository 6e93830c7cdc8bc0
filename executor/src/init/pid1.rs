//! Pid 1 of the sandbox: builds the root filesystem, starts the workload,
//! then supervises it. When it exits the kernel kills whatever is left.

use std::os::fd::OwnedFd;

use super::device_move;
use super::lifeline::Lifeline;
use super::{Context, InitConfig, fail, send, supervise, tty, workload};
use crate::status::Report;
use crate::sys::{self, Forked};

/// `console` is where the master of the sandbox's terminal goes, if it
/// has one. `lifeline` ties pid 1 to the outer init; `moved`, when given,
/// opens once the outer init has moved it into the device policy's cgroup.
pub(super) fn run(
    config: &InitConfig,
    report: &mut std::fs::File,
    console: Option<OwnedFd>,
    lifeline: Lifeline,
    moved: Option<device_move::Waiter>,
) -> i32 {
    // When the outer init dies (it dies with strata), this pid 1 goes too,
    // and with it every process of the namespace.
    if let Err(msg) = lifeline.tie() {
        return fail(report, msg);
    }
    if let Err(msg) = super::rootfs::build(config) {
        return fail(report, msg);
    }
    // After the root is built: /dev/ptmx is now the sandbox's devpts.
    let tty = match console.map(|sock| tty::open_for(&sock)).transpose() {
        Ok(slave) => slave,
        Err(msg) => return fail(report, msg),
    };
    // The workload must be born inside the device policy's cgroup, and
    // see it as its cgroup namespace's root, as when strata moved the
    // init before it unshared one.
    if let Some(moved) = moved {
        let rerooted = moved.wait().and_then(|()| {
            sys::unshare(rustix::thread::UnshareFlags::NEWCGROUP)
                .ctx(|| "unshare the cgroup namespace".into())
        });
        if let Err(msg) = rerooted {
            return fail(report, msg);
        }
    }
    match sys::fork() {
        Err(e) => fail(report, format!("fork: {e}")),
        Ok(Forked::Child) => workload::exec(config, report, tty),
        Ok(Forked::Parent(child)) => {
            drop(tty);
            let status = supervise::until_exit(child);
            send(report, &Report::Ended(status));
            super::exit_with(status)
        }
    }
}
