//! Docker's device policy for the cgroup v1 devices controller: deny
//! everything, then allow the harmless character devices a container's
//! /dev holds, and mknod (but not open) of any node, so an image may carry
//! device nodes without reaching the host's disks or kernel log.
//!
//! The policy is the same for every run, so it lives in one cgroup that
//! every run joins (`devices/strata/policy-1`), made once and kept: a run
//! pays one move into it, not a mkdir, a dozen rule writes and an rmdir
//! that waits for the last task to leave. A move waits out an RCU grace
//! period, so a caller that starts many sandboxes (a build) may move
//! itself in once with [`join_device_policy`]: its children are then born
//! inside, and only privileged ones are moved back out.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::ExecError;

/// `TYPE MAJOR:MINOR ACCESS` lines for `devices.allow`, after `a` was
/// written to `devices.deny`.
pub(crate) const ALLOWED: &[&str] = &[
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",   // null
    "c 1:5 rwm",   // zero
    "c 1:7 rwm",   // full
    "c 1:8 rwm",   // random
    "c 1:9 rwm",   // urandom
    "c 5:0 rwm",   // tty
    "c 5:1 rwm",   // console
    "c 5:2 rwm",   // ptmx
    "c 136:* rwm", // pts/*
];

/// The name says which rule set it holds: a new set gets a new name, so a
/// cgroup made by an older strata is never taken for the current policy.
const POLICY: &str = "policy-1";

/// The policy cgroup under the v1 devices hierarchy at `devices`, made if
/// missing. It appears under its final name only with every rule written
/// (made under a private name, then renamed), so a concurrent run never
/// joins a half-written policy.
pub(crate) fn policy_cgroup(devices: &Path) -> Result<PathBuf, ExecError> {
    let parent = devices.join("strata");
    let dir = parent.join(POLICY);
    if dir.is_dir() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&parent).map_err(|e| err(&parent, e))?;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let fresh = parent.join(format!(
        ".new-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&fresh).map_err(|e| err(&fresh, e))?;
    let written = write_rules(&fresh);
    let renamed = written.and_then(|()| match std::fs::rename(&fresh, &dir) {
        // Another run made it first; theirs is as good.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir(&fresh);
            Ok(())
        }
        r => r.map_err(|e| err(&dir, e)),
    });
    if renamed.is_err() {
        let _ = std::fs::remove_dir(&fresh);
    }
    renamed.map(|()| dir)
}

const HIERARCHY: &str = "/sys/fs/cgroup/devices";

/// Where this process stands: the move into the policy cgroup is started
/// at most once, and a spawn that races it waits for its end (a fork made
/// while the move is under way may land on either side of it).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Joined {
    Never,
    /// Under way; the devices cgroup.procs this process came from.
    Moving(PathBuf),
    Done(PathBuf),
    Failed(PathBuf),
}

static STATE: Mutex<Joined> = Mutex::new(Joined::Never);
static CHANGED: Condvar = Condvar::new();

fn state() -> MutexGuard<'static, Joined> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the v1 devices policy applies here: root, and the hierarchy
/// mounted. The root of a user namespace is no root to the cgroup
/// filesystem, whether it entered the namespace itself or was started in
/// it (a rootless container's monitor).
pub(crate) fn available() -> bool {
    rustix::process::geteuid().is_root()
        && !crate::rootless::entered()
        && !crate::rootless::in_user_namespace()
        && Path::new(HIERARCHY).join("devices.allow").exists()
}

/// Moves the calling process (every thread) into the policy cgroup, so
/// the sandboxes it starts afterwards are born inside and need no move of
/// their own. For a caller about to start confined sandboxes: run it on a
/// thread of its own early, while the caller goes on. Does nothing where
/// the policy does not apply, or the second time.
pub fn join_device_policy() -> Result<(), ExecError> {
    if !available() {
        return Ok(());
    }
    let original = own_cgroup()
        .unwrap_or_else(|| PathBuf::from(HIERARCHY))
        .join("cgroup.procs");
    {
        let mut st = state();
        if *st != Joined::Never {
            return Ok(());
        }
        *st = Joined::Moving(original.clone());
    }
    let moved = policy_cgroup(Path::new(HIERARCHY)).and_then(|dir| {
        let procs = dir.join("cgroup.procs");
        std::fs::write(&procs, "0").map_err(|e| err(&procs, e))
    });
    *state() = match moved {
        Ok(()) => Joined::Done(original),
        Err(_) => Joined::Failed(original),
    };
    CHANGED.notify_all();
    moved
}

/// [`join_device_policy`] on a thread of its own, which blocks the
/// forwarded signals first: a signal for the process must reach the
/// caller's threads (which may be waiting for it with
/// [`crate::next_signal`]), never this one. Errors are dropped: sandboxes
/// started meanwhile are moved one by one instead.
pub fn join_device_policy_in_background() {
    std::thread::spawn(|| {
        if crate::sys::block_signals().is_ok() {
            let _ = join_device_policy();
        }
    });
}

/// What a run asks of the devices cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Confined by the policy cgroup.
    Inside,
    /// Either way: nodev already covers every mount it has.
    Either,
    /// Privileged: every device, so out of the policy cgroup.
    Outside,
}

/// The `cgroup.procs` a new sandbox's init must be moved into, if any:
/// the policy cgroup unless this process sits there already (its children
/// are born inside), or, for a privileged run, back to where this process
/// came from.
pub(crate) fn move_for(want: Want) -> Result<Option<PathBuf>, ExecError> {
    if want == Want::Either {
        return Ok(None);
    }
    let mut st = state();
    while matches!(*st, Joined::Moving(_)) {
        st = CHANGED.wait(st).unwrap_or_else(|e| e.into_inner());
    }
    let settled = st.clone();
    drop(st);
    match (want, settled) {
        (Want::Inside, Joined::Done(_)) => Ok(None),
        (Want::Inside, _) => Ok(Some(
            policy_cgroup(Path::new(HIERARCHY))?.join("cgroup.procs"),
        )),
        // Moving a child that never left its cgroup back there is harmless.
        (_, Joined::Done(original) | Joined::Failed(original)) => Ok(Some(original)),
        (_, _) => Ok(None),
    }
}

/// This process's devices cgroup dir, from /proc/self/cgroup.
fn own_cgroup() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|line| {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        controllers
            .split(',')
            .any(|c| c == "devices")
            .then(|| Path::new(HIERARCHY).join(path.trim_start_matches('/')))
    })
}

fn write_rules(dir: &Path) -> Result<(), ExecError> {
    let deny = dir.join("devices.deny");
    std::fs::write(&deny, "a").map_err(|e| err(&deny, e))?;
    let allow = dir.join("devices.allow");
    for rule in ALLOWED {
        match std::fs::write(&allow, rule) {
            // The parent cgroup denies it (strata itself runs in a confined
            // cgroup): the run just gets less.
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            r => r.map_err(|e| err(&allow, e))?,
        }
    }
    Ok(())
}

fn err(path: &Path, source: std::io::Error) -> ExecError {
    ExecError::Cgroup {
        what: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain directory stands in for the hierarchy: this checks where the
    /// policy is made and that it is made once; the kernel's enforcement is
    /// the escape suite's.
    #[test]
    fn the_policy_cgroup_is_made_once_with_every_rule_then_reused() {
        let root = tempfile::tempdir().unwrap();
        let dir = policy_cgroup(root.path()).unwrap();
        assert_eq!(dir, root.path().join("strata/policy-1"));
        assert_eq!(
            std::fs::read_to_string(dir.join("devices.deny")).unwrap(),
            "a"
        );
        // A plain file keeps only the last write.
        assert_eq!(
            std::fs::read_to_string(dir.join("devices.allow")).unwrap(),
            *ALLOWED.last().unwrap()
        );
        std::fs::write(dir.join("marker"), "").unwrap();
        assert_eq!(policy_cgroup(root.path()).unwrap(), dir);
        assert!(dir.join("marker").exists(), "reused, not made again");
        let names: Vec<_> = std::fs::read_dir(root.path().join("strata"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["policy-1"], "no private dir left behind");
    }
}
