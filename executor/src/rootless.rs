//! Rootless strata: a CLI that is not root enters, before it does anything
//! else, a user namespace in which it is root, plus a mount namespace (the
//! model is buildah's `unshare` re-exec; a Rust main is still
//! single-threaded, so no re-exec is needed). Every chown, mknod and xattr
//! the builder and the store make then works as for root, with the owners
//! the image says, and each RUN's sandbox nests inside this namespace
//! instead of making its own.
//!
//! Ids map as for a rootless run (see init/userns.rs): 0 onto the user,
//! 1.. onto its subordinate ranges when /etc/subuid and /etc/subgid give it
//! some and newuidmap/newgidmap exist; otherwise 0 alone.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::thread::UnshareFlags;

use crate::ExecError;
use crate::init::userns;
use crate::sys;

static ENTERED: AtomicBool = AtomicBool::new(false);

/// How the namespace [`enter`] made maps its ids onto the host's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdMapping {
    /// 0 is the user; 1..=`uids` (and 1..=`gids`) are its subordinate ids.
    Subordinate { uids: u32, gids: u32 },
    /// Only 0 exists: the user `uid` and its group `gid` outside.
    Single { uid: u32, gid: u32 },
}

/// Enters the user and mount namespaces. Call it first thing in `main`,
/// while the process has a single thread (the kernel refuses a new user
/// namespace to a threaded process, and the id-map helper is forked).
pub fn enter() -> Result<IdMapping, ExecError> {
    let fail = |what: String| ExecError::Rootless(what);
    match threads() {
        Some(1) => {}
        Some(n) => return Err(fail(format!("the process already runs {n} threads"))),
        None => {
            return Err(fail(
                "cannot read the thread count in /proc/self/status".into(),
            ));
        }
    }
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    let helpers = Path::new(userns::NEWUIDMAP).exists() && Path::new(userns::NEWGIDMAP).exists();
    let mapping = match userns::subordinate_ranges(uid) {
        Some((subuid, subgid)) if helpers => {
            userns::enter_with_helpers(uid, gid, subuid, subgid).map_err(fail)?;
            IdMapping::Subordinate {
                uids: subuid.1,
                gids: subgid.1,
            }
        }
        _ => {
            userns::enter_single(uid, gid).map_err(fail)?;
            IdMapping::Single { uid, gid }
        }
    };
    sys::unshare(UnshareFlags::NEWNS)
        .map_err(|e| fail(format!("unshare the mount namespace: {e}")))?;
    if !rustix::process::geteuid().is_root() {
        return Err(fail("not root inside the new user namespace".into()));
    }
    ENTERED.store(true, Ordering::Relaxed);
    Ok(mapping)
}

/// Whether this process entered the rootless namespace with [`enter`]: it
/// is root there, but cannot do what only the host's root may (create
/// cgroups, map ids again).
pub fn entered() -> bool {
    ENTERED.load(Ordering::Relaxed)
}

/// Whether this process lives in a user namespace other than the initial
/// one (ours, or one it was started in): overlayfs then needs `userxattr`
/// and only the namespace's ids exist.
pub fn in_user_namespace() -> bool {
    // The initial namespace maps every id onto itself in one line.
    std::fs::read_to_string("/proc/self/uid_map")
        .is_ok_and(|map| map.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
}

fn threads() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Whether this process must enter the namespace to write owned files:
/// it is not root (of whatever namespace it runs in).
pub fn needed() -> bool {
    !rustix::process::geteuid().is_root()
}
