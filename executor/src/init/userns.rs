//! The user namespace of a rootless (or `--userns`) run. The init is root
//! inside, mapped to the caller. When the caller owns subordinate id ranges
//! (/etc/subuid, /etc/subgid) and the setuid helpers newuidmap/newgidmap
//! exist, ids 1.. map onto those ranges so other users exist inside;
//! otherwise the one-id mapping the kernel lets a process write itself.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use rustix::process::{Pid, WaitOptions, waitpid};

use super::Context;
use crate::sys::{self, Forked};

pub(crate) const NEWUIDMAP: &str = "/usr/bin/newuidmap";
pub(crate) const NEWGIDMAP: &str = "/usr/bin/newgidmap";

pub(super) fn enter() -> Result<(), String> {
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    let ranges = if uid == 0 {
        None
    } else {
        subordinate_ranges(uid)
    };
    match ranges {
        Some((subuid, subgid))
            if Path::new(NEWUIDMAP).exists() && Path::new(NEWGIDMAP).exists() =>
        {
            enter_with_helpers(uid, gid, subuid, subgid)
        }
        _ => enter_single(uid, gid),
    }
}

pub(crate) fn enter_single(uid: u32, gid: u32) -> Result<(), String> {
    sys::unshare(rustix::thread::UnshareFlags::NEWUSER).ctx(|| "unshare user namespace".into())?;
    // An unprivileged process may only write gid_map after giving up
    // setgroups, or it could drop groups that deny it access.
    std::fs::write("/proc/self/setgroups", "deny").ctx(|| "write setgroups".into())?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1")).ctx(|| "write uid_map".into())?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1")).ctx(|| "write gid_map".into())?;
    Ok(())
}

/// A subordinate id range: first id and count.
pub(crate) type Range = (u32, u32);

/// The maps must be written from outside the new namespace, so a helper
/// forked beforehand runs the setuid tools once we have unshared.
pub(crate) fn enter_with_helpers(
    uid: u32,
    gid: u32,
    subuid: Range,
    subgid: Range,
) -> Result<(), String> {
    let me = rustix::process::getpid();
    let (mut go_read, mut go_write) = std::io::pipe().ctx(|| "pipe".into())?;
    let helper = match sys::fork().ctx(|| "fork the id-map helper".into())? {
        Forked::Child => {
            drop(go_write);
            let mut byte = [0u8; 1];
            let ok = go_read.read_exact(&mut byte).is_ok()
                && run_map(NEWUIDMAP, me, uid, subuid)
                && run_map(NEWGIDMAP, me, gid, subgid);
            std::process::exit(if ok { 0 } else { 1 })
        }
        Forked::Parent(pid) => pid,
    };
    drop(go_read);
    let unshared = sys::unshare(rustix::thread::UnshareFlags::NEWUSER);
    // Wake the helper either way so it never outlives us blocked.
    let _ = go_write.write_all(if unshared.is_ok() { b"g" } else { b"" });
    drop(go_write);
    let status =
        waitpid(Some(helper), WaitOptions::empty()).ctx(|| "wait for the id-map helper".into())?;
    unshared.ctx(|| "unshare user namespace".into())?;
    match status {
        Some((_, s)) if s.exit_status() == Some(0) => Ok(()),
        _ => Err(format!(
            "{NEWUIDMAP}/{NEWGIDMAP} failed to map the subordinate ids"
        )),
    }
}

fn run_map(tool: &str, pid: Pid, id: u32, (start, count): Range) -> bool {
    Command::new(tool)
        .arg(pid.as_raw_nonzero().to_string())
        .args([
            "0",
            &id.to_string(),
            "1",
            "1",
            &start.to_string(),
            &count.to_string(),
        ])
        .status()
        .is_ok_and(|s| s.success())
}

/// The caller's first ranges in /etc/subuid and /etc/subgid, matched by
/// user name or numeric uid.
pub(crate) fn subordinate_ranges(uid: u32) -> Option<(Range, Range)> {
    let name = user_name(uid);
    let find = |file: &str| -> Option<Range> {
        let text = std::fs::read_to_string(file).ok()?;
        text.lines().find_map(|line| {
            let mut f = line.trim().split(':');
            let owner = f.next()?;
            let matches = owner == uid.to_string() || Some(owner) == name.as_deref();
            let start = f.next()?.parse().ok()?;
            let count = f.next()?.parse().ok()?;
            (matches && count > 0).then_some((start, count))
        })
    };
    Some((find("/etc/subuid")?, find("/etc/subgid")?))
}

fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.get(2)? == &uid.to_string()).then(|| f[0].to_owned())
    })
}
