//! Pid 1 of the sandbox: builds the root filesystem, starts the workload,
//! then supervises it. When it exits the kernel kills whatever is left.

use super::{InitConfig, fail, send, supervise, workload};
use crate::status::Report;
use crate::sys::{self, Forked};

pub(super) fn run(config: &InitConfig, report: &mut std::fs::File) -> i32 {
    if let Err(msg) = super::rootfs::build(config) {
        return fail(report, msg);
    }
    match sys::fork() {
        Err(e) => fail(report, format!("fork: {e}")),
        Ok(Forked::Child) => workload::exec(&config.spec, report),
        Ok(Forked::Parent(child)) => {
            let status = supervise::until_exit(child);
            send(report, &Report::Ended(status));
            super::exit_with(status)
        }
    }
}
