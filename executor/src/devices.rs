//! Docker's device policy: deny everything, then allow the harmless
//! character devices a container's /dev holds, and mknod (but not open) of
//! any node, so an image may carry device nodes without reaching the
//! host's disks or kernel log (the rules: device_rules.rs). Under cgroup v1
//! it is the devices controller's allow list; on a cgroup-v2-only host
//! (/sys/fs/cgroup is cgroup2) it is an eBPF device program attached to
//! the policy cgroup (device_program.rs), which the kernel applies to its
//! members in hybrid mode too, so tests force it with
//! [`ENV_DEVICE_CGROUP2`].
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

use crate::device_rules::ALLOWED;
use crate::{DeviceRule, ExecError};

/// The path of a cgroup2 mount: when set, the device policy is the v2
/// eBPF program in a cgroup under it, whatever /sys/fs/cgroup is. For
/// tests on a v1 or hybrid host, whose empty v2 hierarchy still enforces
/// a device program on its members.
pub const ENV_DEVICE_CGROUP2: &str = "STRATA_DEVICE_CGROUP2";

/// Which device policy this host gets, and the hierarchy it lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hierarchy {
    /// The v1 devices controller's mount.
    V1(PathBuf),
    /// A cgroup2 mount.
    V2(PathBuf),
}

impl Hierarchy {
    pub(crate) fn root(&self) -> &Path {
        match self {
            Hierarchy::V1(p) | Hierarchy::V2(p) => p,
        }
    }
}

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The device policy's hierarchy, chosen once: the forced v2 mount, else
/// v2 when /sys/fs/cgroup is the unified hierarchy (cgroup2fs, which has
/// cgroup.controllers at its root), else the v1 devices controller if
/// mounted.
fn hierarchy() -> Option<&'static Hierarchy> {
    static CHOSEN: std::sync::OnceLock<Option<Hierarchy>> = std::sync::OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            if let Some(forced) = std::env::var_os(ENV_DEVICE_CGROUP2) {
                return Some(Hierarchy::V2(PathBuf::from(forced)));
            }
            let root = Path::new(CGROUP_ROOT);
            if root.join("cgroup.controllers").exists() {
                return Some(Hierarchy::V2(root.to_path_buf()));
            }
            let v1 = root.join("devices");
            v1.join("devices.allow")
                .exists()
                .then_some(Hierarchy::V1(v1))
        })
        .as_ref()
}

/// Whether the policy cgroup is in /sys/fs/cgroup's own v2 hierarchy, the
/// one cgroup.rs makes a limited run's cgroup in: a process is in one v2
/// cgroup only, so a limited run gets the program on its own cgroup
/// ([`confine`]) instead of joining the policy cgroup.
pub(crate) fn shares_limits_hierarchy() -> bool {
    hierarchy() == Some(&Hierarchy::V2(PathBuf::from(CGROUP_ROOT)))
}

/// The cgroup2 mount holding the device policy when it is not
/// /sys/fs/cgroup (forced), for `exec` to join a target's cgroup there.
pub(crate) fn separate_cgroup2() -> Option<PathBuf> {
    match applicable()? {
        Hierarchy::V2(root) if root != Path::new(CGROUP_ROOT) => Some(root.clone()),
        _ => None,
    }
}

/// Attaches the device program for the policy plus `grants` to the v2
/// cgroup `dir`, whose members (and their descendants) it then confines.
pub(crate) fn confine(dir: &Path, grants: &[DeviceRule]) -> Result<(), ExecError> {
    let cgroup = std::fs::File::open(dir).map_err(|e| err(dir, e))?;
    attach(dir, &cgroup, &crate::device_rules::with_grants(grants))
}

fn attach(dir: &Path, cgroup: &std::fs::File, rules: &[DeviceRule]) -> Result<(), ExecError> {
    let program = crate::device_program::assemble(rules);
    let loaded = crate::sys::load_device_program(&program).map_err(|e| {
        err(
            Path::new("the cgroup v2 device program (bpf BPF_PROG_LOAD)"),
            e,
        )
    })?;
    crate::sys::attach_device_program(&loaded, cgroup)
        .map_err(|e| err(&dir.join("(bpf BPF_PROG_ATTACH BPF_CGROUP_DEVICE)"), e))
}

/// The name says which rule set it holds: a new set gets a new name, so a
/// cgroup made by an older strata is never taken for the current policy.
const POLICY: &str = "policy-1";

/// The policy cgroup under `hierarchy`, made if missing; see
/// [`v1_policy_cgroup`] and [`v2_policy_cgroup`] for how a concurrent run
/// never joins a half-made one.
pub(crate) fn policy_cgroup(hierarchy: &Hierarchy) -> Result<PathBuf, ExecError> {
    match hierarchy {
        Hierarchy::V1(root) => v1_policy_cgroup(root),
        Hierarchy::V2(root) => v2_policy_cgroup(root),
    }
}

/// Under the v1 devices hierarchy at `root`. It appears under its final
/// name only with every rule written (made under a private name, then
/// renamed).
fn v1_policy_cgroup(root: &Path) -> Result<PathBuf, ExecError> {
    let parent = root.join("strata");
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
    let renamed = write_rules(&fresh).and_then(|()| match std::fs::rename(&fresh, &dir) {
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

/// Under the cgroup2 mount at `root`. The kernel refuses to rename a v2
/// cgroup, so instead every caller checks that the program is attached
/// (one BPF_PROG_QUERY) and attaches it if not: a dir made by a run that
/// died before attaching, or being attached by another run right now, is
/// never joined unconfined, and a second attach of the same program just
/// replaces the first. The program stays attached for the cgroup's life,
/// after our fds are closed.
fn v2_policy_cgroup(root: &Path) -> Result<PathBuf, ExecError> {
    let dir = root.join("strata").join(POLICY);
    match std::fs::create_dir_all(&dir) {
        Err(e) if !dir.is_dir() => return Err(err(&dir, e)),
        _ => {}
    }
    let cgroup = std::fs::File::open(&dir).map_err(|e| err(&dir, e))?;
    let attached = crate::sys::device_programs_attached(&cgroup)
        .map_err(|e| err(&dir.join("(bpf BPF_PROG_QUERY BPF_CGROUP_DEVICE)"), e))?;
    if attached == 0 {
        attach(&dir, &cgroup, ALLOWED)?;
    }
    Ok(dir)
}

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

/// The hierarchy of the device policy, if it applies here: root, and a
/// hierarchy to hold it. The root of a user namespace is no root to the
/// cgroup filesystem, whether it entered the namespace itself or was
/// started in it (a rootless container's monitor).
pub(crate) fn applicable() -> Option<&'static Hierarchy> {
    if rustix::process::geteuid().is_root()
        && !crate::rootless::entered()
        && !crate::rootless::in_user_namespace()
    {
        hierarchy()
    } else {
        None
    }
}

pub(crate) fn available() -> bool {
    applicable().is_some()
}

/// Moves the calling process (every thread) into the policy cgroup, so
/// the sandboxes it starts afterwards are born inside and need no move of
/// their own. For a caller about to start confined sandboxes: run it on a
/// thread of its own early, while the caller goes on. Does nothing where
/// the policy does not apply, or the second time.
pub fn join_device_policy() -> Result<(), ExecError> {
    let Some(hierarchy) = applicable() else {
        return Ok(());
    };
    let original = own_cgroup(hierarchy)
        .unwrap_or_else(|| hierarchy.root().to_path_buf())
        .join("cgroup.procs");
    {
        let mut st = state();
        if *st != Joined::Never {
            return Ok(());
        }
        *st = Joined::Moving(original.clone());
    }
    let moved = policy_cgroup(hierarchy).and_then(|dir| {
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

/// The policy cgroup's `cgroup.procs` that the sandbox's pid 1 must be
/// moved into, unless this process sits there already (its children are
/// born inside). The move is not waited for here: the outer init makes it
/// while pid 1 builds the root, and pid 1 forks the workload only after
/// it (see init/device_move.rs), so the RCU grace period a cgroup v1 move
/// waits out overlaps the sandbox's setup instead of delaying the spawn.
pub(crate) fn pid1_move(want: Want) -> Result<Option<PathBuf>, ExecError> {
    let Some(hierarchy) = applicable() else {
        return Ok(None);
    };
    if want != Want::Inside || matches!(*state(), Joined::Done(_)) {
        return Ok(None);
    }
    Ok(Some(policy_cgroup(hierarchy)?.join("cgroup.procs")))
}

/// The `cgroup.procs` a new sandbox's init must be moved into by this
/// process, if any: the policy cgroup unless this process sits there
/// already (its children are born inside), or, for a privileged run, back
/// to where this process came from.
pub(crate) fn move_for(want: Want) -> Result<Option<PathBuf>, ExecError> {
    let Some(hierarchy) = applicable() else {
        return Ok(None);
    };
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
        (Want::Inside, _) => Ok(Some(policy_cgroup(hierarchy)?.join("cgroup.procs"))),
        // Moving a child that never left its cgroup back there is harmless.
        (_, Joined::Done(original) | Joined::Failed(original)) => Ok(Some(original)),
        (_, _) => Ok(None),
    }
}

/// The devices `cgroup.procs` a helper must start in when it needs a
/// device the policy denies (pasta opens /dev/net/tun): the one this
/// process left for the policy cgroup; `None` if it never joined.
pub fn outside_device_policy() -> Option<PathBuf> {
    let hierarchy = applicable()?;
    match move_for(Want::Outside).ok().flatten() {
        Some(original) => Some(original),
        // Not moved (yet): where it stands now, which a move started
        // later (join_device_policy_in_background) leaves outside.
        None => own_cgroup(hierarchy).map(|dir| dir.join("cgroup.procs")),
    }
}

/// This process's cgroup dir in `hierarchy`, from /proc/self/cgroup: the
/// line naming the devices controller (v1), or the unified `0::` line.
fn own_cgroup(hierarchy: &Hierarchy) -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|line| {
        let mut f = line.splitn(3, ':');
        let (id, controllers, path) = (f.next()?, f.next()?, f.next()?);
        let ours = match hierarchy {
            Hierarchy::V1(_) => controllers.split(',').any(|c| c == "devices"),
            Hierarchy::V2(_) => id == "0" && controllers.is_empty(),
        };
        ours.then(|| hierarchy.root().join(path.trim_start_matches('/')))
    })
}

pub(crate) fn write_rules(dir: &Path) -> Result<(), ExecError> {
    let deny = dir.join("devices.deny");
    std::fs::write(&deny, "a").map_err(|e| err(&deny, e))?;
    let allow = dir.join("devices.allow");
    for rule in ALLOWED {
        match std::fs::write(&allow, crate::device_rules::v1_line(rule)) {
            // The parent cgroup denies it (strata itself runs in a confined
            // cgroup): the run just gets less.
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            r => r.map_err(|e| err(&allow, e))?,
        }
    }
    Ok(())
}

pub(crate) fn err(path: &Path, source: std::io::Error) -> ExecError {
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
        let hierarchy = Hierarchy::V1(root.path().to_path_buf());
        let dir = policy_cgroup(&hierarchy).unwrap();
        assert_eq!(dir, root.path().join("strata/policy-1"));
        assert_eq!(
            std::fs::read_to_string(dir.join("devices.deny")).unwrap(),
            "a"
        );
        // A plain file keeps only the last write.
        assert_eq!(
            std::fs::read_to_string(dir.join("devices.allow")).unwrap(),
            crate::device_rules::v1_line(ALLOWED.last().unwrap())
        );
        std::fs::write(dir.join("marker"), "").unwrap();
        assert_eq!(policy_cgroup(&hierarchy).unwrap(), dir);
        assert!(dir.join("marker").exists(), "reused, not made again");
        let names: Vec<_> = std::fs::read_dir(root.path().join("strata"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["policy-1"], "no private dir left behind");
    }

    fn cgroup2_mount() -> Option<PathBuf> {
        let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        info.lines().find_map(|line| {
            let (head, tail) = line.split_once(" - ")?;
            let point = head.split(' ').nth(4)?;
            tail.starts_with("cgroup2 ").then(|| PathBuf::from(point))
        })
    }

    /// On the real v2 hierarchy (a fresh cgroup stands in for its root):
    /// a policy dir left without its program, as by a run that died
    /// between mkdir and attach, gets one before anyone joins it.
    #[test]
    fn a_v2_policy_cgroup_without_its_program_gets_it_before_use() {
        let Some(mount) = cgroup2_mount().filter(|_| rustix::process::geteuid().is_root()) else {
            eprintln!("skipped: needs root and a cgroup2 mount");
            return;
        };
        let root = mount.join(format!("strata-unit-{}", std::process::id()));
        let dir = root.join("strata").join(POLICY);
        std::fs::create_dir_all(&dir).unwrap();
        let attached = || {
            let f = std::fs::File::open(&dir).unwrap();
            crate::sys::device_programs_attached(&f).unwrap()
        };
        assert_eq!(attached(), 0);
        let made = policy_cgroup(&Hierarchy::V2(root.clone()));
        let after = attached();
        let again = policy_cgroup(&Hierarchy::V2(root.clone()));
        let after_again = attached();
        for d in [dir.as_path(), &root.join("strata"), &root] {
            let _ = std::fs::remove_dir(d);
        }
        assert_eq!(made.unwrap(), dir);
        assert_eq!(after, 1);
        assert_eq!(again.unwrap(), dir);
        assert_eq!(after_again, 1, "still exactly one program");
    }
}
