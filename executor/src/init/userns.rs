//! The user namespace of a rootless (or `--userns`) run. The init maps
//! itself to root inside: one id each way, which the kernel lets an
//! unprivileged process write for itself.

use super::Context;
use crate::sys;

pub(super) fn enter() -> Result<(), String> {
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    sys::unshare(rustix::thread::UnshareFlags::NEWUSER).ctx(|| "unshare user namespace".into())?;
    // An unprivileged process may only write gid_map after giving up
    // setgroups, or it could drop groups that deny it access.
    std::fs::write("/proc/self/setgroups", "deny").ctx(|| "write setgroups".into())?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1")).ctx(|| "write uid_map".into())?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1")).ctx(|| "write gid_map".into())?;
    Ok(())
}
