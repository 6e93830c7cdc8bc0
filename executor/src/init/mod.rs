//! The sandbox init: our own binary re-executed with [`ENV_CONFIG`] set.
//! It runs as three processes, each single-threaded:
//! - the outer init joins the cgroup, creates the namespaces, moves pid 1
//!   into the device policy's cgroup if asked (device_move.rs), and waits;
//! - pid 1 of the new pid namespace builds the root filesystem, then reaps
//!   zombies and forwards signals until the workload ends;
//! - the workload drops privileges and execs the command.

mod caps;
mod dev;
mod device_move;
mod host_devices;
mod host_files;
mod in_root;
mod join;
mod lifeline;
mod masks;
mod mounts;
mod overlay;
mod pid1;
mod rootfs;
mod run_devices;
mod seccomp;
mod supervise;
mod tty;
pub(crate) mod userns;
mod view;
mod workload;

use std::io::Write;

use rustix::thread::UnshareFlags;
use serde::{Deserialize, Serialize};

use crate::status::Report;
use crate::sys::{self, Forked};
use crate::{ExitStatus, Network, RunSpec};
use lifeline::Lifeline;

pub use join::join_if_requested;
pub(crate) use join::{ENV_JOIN, JoinConfig};
pub use view::{enter_container_mounts, mount_stopped_view};

pub(crate) const ENV_CONFIG: &str = "STRATA_SANDBOX_INIT";
pub(crate) const ENV_REPORT_FD: &str = "STRATA_SANDBOX_REPORT_FD";
/// Set when the parent moves the init into a cgroup: the init reads one
/// byte from this fd before it forks, so every process of the run starts
/// inside.
pub(crate) const ENV_GO_FD: &str = "STRATA_SANDBOX_GO_FD";

/// What the parent hands to the init.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct InitConfig {
    pub spec: RunSpec,
    pub userns: bool,
    /// The seccomp filters to load, compiled by the parent.
    pub seccomp: crate::seccomp::Programs,
    /// The device policy's `cgroup.procs`, when this init is to move pid 1
    /// there (see [`device_move`]).
    #[serde(default)]
    pub device_move: Option<std::path::PathBuf>,
    /// The run has a devices cgroup of its own (device_cgroup.rs), which
    /// then is what keeps device nodes closed: its /dev may hold nodes.
    #[serde(default)]
    pub own_devices: bool,
}

/// Call first thing in `main`. When this process is a sandbox init it runs
/// the sandbox and exits with the process's status; otherwise it returns.
pub fn init_if_requested() {
    let Some(config) = std::env::var_os(ENV_CONFIG) else {
        return;
    };
    let mut report = std::env::var(ENV_REPORT_FD)
        .ok()
        .and_then(|fd| fd.parse().ok())
        .and_then(|fd| sys::adopt_fd(fd).ok())
        .map(std::fs::File::from);
    let config: Result<InitConfig, _> = serde_json::from_str(&config.to_string_lossy());
    let code = match (config, report.as_mut()) {
        (Ok(config), Some(report)) => outer(config, report),
        (Err(e), Some(report)) => fail(report, format!("bad init config: {e}")),
        (_, None) => {
            eprintln!("strata: sandbox init started without its report pipe");
            125
        }
    };
    std::process::exit(code);
}

/// Exit code of an init that could not set the sandbox up, as Docker's 125.
const SETUP_FAILED: i32 = 125;

pub(crate) fn fail(report: &mut std::fs::File, msg: String) -> i32 {
    send(report, &Report::SetupFailed(msg));
    SETUP_FAILED
}

pub(crate) fn send(report: &mut std::fs::File, msg: &Report) {
    // The parent is the only reader; if it is gone nobody needs the news.
    let _ = report.write_all(msg.encode().as_bytes());
}

/// Adds context to an io error in one line.
pub(crate) trait Context<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T, String> {
        self.map_err(|e| format!("{}: {e}", what()))
    }
}

fn outer(config: InitConfig, report: &mut std::fs::File) -> i32 {
    // A build killed with SIGKILL must not leave its RUN running on: die
    // with the process that started us (and pid 1 with us, see pid1.rs).
    if let Err(msg) = die_with_parent() {
        return fail(report, msg);
    }
    if let Err(msg) = wait_for_cgroup() {
        return fail(report, msg);
    }
    match enter_namespaces(&config) {
        Ok(()) => {}
        Err(msg) => return fail(report, msg),
    }
    // The terminal is opened by pid 1 from the sandbox's own devpts (so
    // `tty` inside names /dev/pts/N), and its master comes back over this.
    let console = match config.spec.tty.then(tty::console_pair).transpose() {
        Ok(pair) => pair,
        Err(msg) => return fail(report, msg),
    };
    let (ours, theirs) = console.unzip();
    let lifeline = match Lifeline::new() {
        Ok(l) => l,
        Err(msg) => return fail(report, msg),
    };
    let moved = match config.device_move.as_deref().map(device_move::Gate::new) {
        None => None,
        Some(Ok(gate)) => Some(gate),
        Some(Err(msg)) => return fail(report, msg),
    };
    match sys::fork() {
        Err(e) => fail(report, format!("fork: {e}")),
        Ok(Forked::Child) => {
            drop(ours);
            let moved = moved.map(device_move::Gate::waiter);
            pid1::run(&config, report, theirs, lifeline, moved)
        }
        Ok(Forked::Parent(child)) => {
            lifeline.hold();
            if let Some(gate) = moved {
                // On failure pid 1 reports the error; it is our child, so
                // supervising it below still reaps it.
                gate.open_after_moving(child);
            }
            drop(theirs);
            let status = match ours.and_then(|sock| tty::receive_master(&sock)) {
                Some(master) => tty::relay_until_exit(child, master),
                None => supervise::until_exit(child),
            };
            send(report, &Report::Ended(status));
            status.code()
        }
    }
}

/// SIGKILL when the parent goes; the kernel clears this on fork, so each
/// level sets it for itself. If the parent is already gone (we were
/// reparented before the call), give up at once. Only for a parent in our
/// own pid namespace; across one, see [`Lifeline`].
pub(super) fn die_with_parent() -> Result<(), String> {
    let parent = rustix::process::getppid();
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .ctx(|| "set the parent death signal".into())?;
    if rustix::process::getppid() != parent {
        return Err("the parent exited while the sandbox started".into());
    }
    Ok(())
}

/// Blocks until the parent has moved us into the run's cgroup, if it has
/// one; an EOF without the byte means it could not.
fn wait_for_cgroup() -> Result<(), String> {
    let Some(fd) = std::env::var(ENV_GO_FD).ok().and_then(|fd| fd.parse().ok()) else {
        return Ok(());
    };
    let mut go = std::fs::File::from(sys::adopt_fd(fd).ctx(|| "the cgroup pipe".into())?);
    let mut byte = [0u8; 1];
    match std::io::Read::read(&mut go, &mut byte) {
        Ok(1) => Ok(()),
        _ => Err("the parent could not move the sandbox into its cgroup".into()),
    }
}

fn enter_namespaces(config: &InitConfig) -> Result<(), String> {
    // Before the user namespace: joining needs CAP_SYS_ADMIN over the
    // namespace's owner, which a new user namespace no longer has.
    if let Some(path) = config.spec.network.joined() {
        sys::join_netns(path).ctx(|| format!("join network namespace {}", path.display()))?;
    }
    if config.userns {
        userns::enter()?;
    }
    let mut flags = UnshareFlags::NEWNS
        | UnshareFlags::NEWPID
        | UnshareFlags::NEWUTS
        | UnshareFlags::NEWIPC
        | UnshareFlags::NEWCGROUP;
    if config.spec.network == Network::None {
        flags |= UnshareFlags::NEWNET;
    }
    sys::unshare(flags).ctx(|| "unshare namespaces".into())?;
    // The inits run our binary from the host: non-dumpable, their /proc
    // entries (exe, mem, fds) are out of reach of the container's root,
    // which lacks CAP_SYS_PTRACE. Done after the uid_map write, which needs
    // a dumpable process. The workload's exec makes it dumpable again.
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .ctx(|| "set non-dumpable".into())?;
    rustix::system::sethostname(config.spec.hostname.as_bytes()).ctx(|| "sethostname".into())?;
    if config.spec.network == Network::None {
        sys::loopback_up().ctx(|| "bring loopback up".into())?;
    }
    sys::block_signals().ctx(|| "block signals".into())?;
    Ok(())
}

/// Ends this process with the exit code that mirrors `status`.
pub(crate) fn exit_with(status: ExitStatus) -> ! {
    std::process::exit(status.code())
}
