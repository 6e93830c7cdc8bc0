//! `exec` into a running sandbox: our binary re-executed with
//! [`ENV_JOIN`] set. It joins the namespaces (and, as root, the cgroups) of
//! the sandbox's outer init, forks so that the child is born in the
//! sandbox's pid namespace, and the child becomes the workload through the
//! same code as a run's (identity, capabilities, no_new_privs, exec). The
//! joiner waits, forwarding signals, and reports the end like an init.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::PathBuf;

use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};
use serde::{Deserialize, Serialize};

use super::lifeline::Lifeline;
use super::{Context, ENV_REPORT_FD, fail, send, supervise, workload};
use crate::status::Report;
use crate::sys::{self, Forked};
use crate::{ExitStatus, RunSpec};

pub(crate) const ENV_JOIN: &str = "STRATA_SANDBOX_JOIN";

/// What the parent hands to the joiner.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct JoinConfig {
    /// The sandbox's outer init, as the host sees it.
    pub target: u32,
    /// The process to run: args, env, cwd, user and security are used.
    pub spec: RunSpec,
    /// The seccomp filters to load, compiled by the parent.
    pub seccomp: crate::seccomp::Programs,
    /// The cgroup2 mount of the device policy when it is not
    /// /sys/fs/cgroup (forced with ENV_DEVICE_CGROUP2, which the joiner's
    /// cleared environment does not carry): the target's unified cgroup,
    /// which holds its device program, is joined there.
    #[serde(default)]
    pub device_cgroup2: Option<PathBuf>,
}

/// Call first thing in `main`, next to [`super::init_if_requested`]. When
/// this process is a joiner it runs the exec and exits with its status.
pub fn join_if_requested() {
    let Some(config) = std::env::var_os(ENV_JOIN) else {
        return;
    };
    let mut report = std::env::var(ENV_REPORT_FD)
        .ok()
        .and_then(|fd| fd.parse().ok())
        .and_then(|fd| sys::adopt_fd(fd).ok())
        .map(File::from);
    let config: Result<JoinConfig, _> = serde_json::from_str(&config.to_string_lossy());
    let code = match (config, report.as_mut()) {
        (Ok(config), Some(report)) => join(&config, report),
        (Err(e), Some(report)) => fail(report, format!("bad exec config: {e}")),
        (_, None) => {
            eprintln!("strata: exec started without its report pipe");
            125
        }
    };
    std::process::exit(code);
}

/// The namespaces joined, in order: the user namespace first (it grants
/// the capabilities the others need when rootless), the mount namespace
/// last (after it, /proc is the sandbox's). `pid_for_children` is the
/// sandbox's pid namespace: the outer init itself lives outside it.
const NAMESPACES: &[(&str, LinkNameSpaceType)] = &[
    ("user", LinkNameSpaceType::User),
    ("ipc", LinkNameSpaceType::InterProcessCommunication),
    ("uts", LinkNameSpaceType::HostNameAndNISDomainName),
    ("net", LinkNameSpaceType::Network),
    ("cgroup", LinkNameSpaceType::ControlGroup),
    ("pid_for_children", LinkNameSpaceType::ProcessID),
    ("mnt", LinkNameSpaceType::Mount),
];

fn join(config: &JoinConfig, report: &mut File) -> i32 {
    if let Err(msg) = super::die_with_parent()
        .and_then(|()| enter(config.target, config.device_cgroup2.as_deref()))
    {
        return fail(report, msg);
    }
    // Opened inside the sandbox's mount namespace, from its devpts.
    let pty = match config.spec.tty.then(super::tty::open).transpose() {
        Ok(pty) => pty,
        Err(msg) => return fail(report, msg),
    };
    let (master, slave) = pty.map(|p| (p.master, p.slave)).unzip();
    // The child is born in the sandbox's pid namespace, its parent outside.
    let lifeline = match Lifeline::new() {
        Ok(l) => l,
        Err(msg) => return fail(report, msg),
    };
    match sys::fork() {
        Err(e) => fail(report, format!("fork: {e}")),
        Ok(Forked::Child) => {
            drop(master);
            if let Err(msg) = lifeline.tie() {
                return fail(report, msg);
            }
            // The workload code of a run, which takes an init's config.
            let init = super::InitConfig {
                spec: config.spec.clone(),
                userns: false,
                seccomp: config.seccomp.clone(),
                device_move: None,
                own_devices: false,
            };
            workload::exec(&init, report, slave)
        }
        Ok(Forked::Parent(child)) => {
            lifeline.hold();
            drop(slave);
            let status: ExitStatus = match master {
                Some(master) => super::tty::relay_until_exit(child, master),
                None => supervise::until_exit(child),
            };
            send(report, &Report::Ended(status));
            status.code()
        }
    }
}

fn enter(target: u32, device_cgroup2: Option<&std::path::Path>) -> Result<(), String> {
    let proc_dir = PathBuf::from(format!("/proc/{target}"));
    // Root of a user namespace (rootless strata's) is no root to the cgroup
    // filesystem.
    if rustix::process::geteuid().is_root() && !crate::rootless::in_user_namespace() {
        join_cgroups(&proc_dir, device_cgroup2)?;
    }
    enter_namespaces(proc_dir, NAMESPACES)?;
    sys::block_signals().ctx(|| "block signals".into())
}

/// Joins `namespaces` of the sandbox whose outer init is `proc_dir`, in
/// order, skipping those we already share; then makes us non-dumpable.
pub(super) fn enter_namespaces(
    proc_dir: PathBuf,
    namespaces: &[(&str, LinkNameSpaceType)],
) -> Result<(), String> {
    let proc_dir = namespace_holder(proc_dir)?;
    // Opened before any setns: once in the sandbox's mount namespace,
    // /proc/<target> is out of sight.
    let mut joins = Vec::new();
    for (name, kind) in namespaces {
        let path = proc_dir.join("ns").join(name);
        let ours = PathBuf::from("/proc/self/ns").join(name);
        let same = match (std::fs::metadata(&path), std::fs::metadata(&ours)) {
            (Ok(a), Ok(b)) => {
                use std::os::unix::fs::MetadataExt;
                a.ino() == b.ino() && a.dev() == b.dev()
            }
            (Err(e), _) => return Err(format!("the sandbox's {name} namespace: {e}")),
            _ => false,
        };
        // Joining one's own user namespace is an error (EINVAL); the others
        // are no-ops, skipped alike.
        if !same {
            let fd = File::open(&path).ctx(|| format!("open {}", path.display()))?;
            joins.push((fd, *name, *kind));
        }
    }
    for (fd, name, kind) in &joins {
        move_into_link_name_space(fd.as_fd(), Some(*kind))
            .ctx(|| format!("join the sandbox's {name} namespace"))?;
    }
    // Like the inits: our /proc entries stay out of the sandbox root's reach.
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .ctx(|| "set non-dumpable".into())
}

/// A process whose namespace files we may open: the outer init, or, when
/// it is out of reach (the inits are non-dumpable, which only root's
/// CAP_SYS_PTRACE overrides), the workload under pid 1, which its exec made
/// dumpable again.
fn namespace_holder(init: PathBuf) -> Result<PathBuf, String> {
    let probe = init.join("ns/mnt");
    match std::fs::File::open(&probe) {
        Ok(_) => return Ok(init),
        Err(e) if e.kind() != std::io::ErrorKind::PermissionDenied => {
            return Err(format!("open {}: {e}", probe.display()));
        }
        Err(_) => {}
    }
    let first_child = |dir: &std::path::Path| -> Option<PathBuf> {
        let pid = dir.file_name()?.to_str()?.to_owned();
        let children =
            std::fs::read_to_string(dir.join("task").join(&pid).join("children")).ok()?;
        let child = children.split_whitespace().next()?;
        Some(PathBuf::from("/proc").join(child))
    };
    first_child(&init)
        .and_then(|pid1| first_child(&pid1))
        .ok_or_else(|| "the sandbox's process is out of reach (has it exited?)".to_owned())
}

/// The target's cgroups (its limits), so the exec'd process counts
/// against them. Read from /proc/<target>/cgroup; the hierarchies are
/// mounted under /sys/fs/cgroup, v1 by controller name.
fn join_cgroups(
    proc_dir: &std::path::Path,
    device_cgroup2: Option<&std::path::Path>,
) -> Result<(), String> {
    let path = proc_dir.join("cgroup");
    let text = std::fs::read_to_string(&path).ctx(|| format!("read {}", path.display()))?;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(cgroup)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if cgroup == "/" || controllers.starts_with("name=") {
            continue;
        }
        let root = match device_cgroup2 {
            Some(mount) if controllers.is_empty() => mount.to_path_buf(),
            _ => PathBuf::from("/sys/fs/cgroup"),
        };
        let procs = root
            .join(controllers)
            .join(cgroup.trim_start_matches('/'))
            .join("cgroup.procs");
        // A hierarchy mounted under another name is left alone.
        if procs.exists() {
            std::fs::write(&procs, "0").ctx(|| format!("join cgroup {}", procs.display()))?;
        }
    }
    Ok(())
}
