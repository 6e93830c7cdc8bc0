//! Pid 1 of the sandbox: builds the root filesystem, starts the workload,
//! then supervises it. When it exits the kernel kills whatever is left.

use std::os::fd::OwnedFd;

use super::lifeline::Lifeline;
use super::{InitConfig, fail, send, supervise, workload};
use crate::status::Report;
use crate::sys::{self, Forked};

/// `tty` is the slave side of the sandbox's terminal, if it has one.
/// `lifeline` ties it to the outer init.
pub(super) fn run(
    config: &InitConfig,
    report: &mut std::fs::File,
    tty: Option<OwnedFd>,
    lifeline: Lifeline,
) -> i32 {
    // When the outer init dies (it dies with strata), this pid 1 goes too,
    // and with it every process of the namespace.
    if let Err(msg) = lifeline.tie() {
        return fail(report, msg);
    }
    if let Err(msg) = super::rootfs::build(config) {
        return fail(report, msg);
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
