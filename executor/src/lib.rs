//! The sandbox: namespaces, overlayfs root, pivot_root, /proc /dev /sys,
//! masked paths, capabilities, cgroup limits, pid 1 reaping, exit status.
//!
//! The parent never forks Rust code: [`Sandbox::spawn`] re-executes the
//! current binary, whose `main` must call [`init_if_requested`] first.
//!
//! A RUN step, as the builder drives it:
//! ```no_run
//! # use strata_executor::*;
//! # fn step(lower: Vec<std::path::PathBuf>, upper: std::path::PathBuf, work: std::path::PathBuf,
//! #         out: std::os::fd::OwnedFd, err: std::os::fd::OwnedFd) -> Result<(), ExecError> {
//! let mut spec = RunSpec::new(Rootfs::Overlay { lower: lower.clone(), upper, work },
//!                             vec!["/bin/sh".into(), "-c".into(), "make".into()]);
//! spec.user = resolve_user_in("app:x:1000:1000::/home/app:/bin/sh\n", "", "app")?;
//! spec.mounts.push(Mount::Tmpfs { target: "/root/.cache".into(), size: None, options: Default::default() });
//! let status = Sandbox::spawn(&spec, Stdio { stdin: None, stdout: Some(out), stderr: Some(err) })?
//!     .wait()?;
//! if !status.success() { /* "RUN failed: {status}" */ }
//! // `upper` now holds the step's diff with overlayfs whiteouts.
//! # Ok(()) }
//! ```

mod bind_options;
pub mod binfmt;
mod cgroup;
mod device;
mod device_cgroup;
mod device_program;
mod device_rules;
mod devices;
mod error;
mod exec;
mod init;
mod rlimit;
pub mod rootless;
mod sandbox;
pub mod seccomp;
mod security;
mod spec;
mod status;
mod sys;
mod user;

pub use bind_options::{BindOptions, Propagation};
pub use device::{DeviceAccess, DeviceError, DeviceKind, DeviceNode, DeviceRule};
pub use devices::{
    ENV_DEVICE_CGROUP2, join_device_policy, join_device_policy_in_background, outside_device_policy,
};
pub use error::ExecError;
pub use exec::{Joined, exec_in};
pub use init::{enter_container_mounts, init_if_requested, join_if_requested, mount_stopped_view};
pub use rlimit::{Resource, Ulimit};
pub use sandbox::{ENV_INIT_EXE, Outcome, Running, Sandbox, Stdio};
pub use security::{DEFAULT_CAPS, SeccompPolicy, Security, all_caps, parse_capability};
pub use spec::{DEFAULT_PATH, Limits, Mount, Network, Rootfs, RunSpec, TmpfsOptions, User};
pub use status::ExitStatus;
pub use user::{resolve_build_user_in, resolve_run_user_in, resolve_user_in};

pub use caps::Capability;
pub use rustix::process::Signal;

/// Blocks the signals a caller wants to forward to a sandbox (SIGINT,
/// SIGTERM, ...), then polls them with [`next_signal`]. Call it before
/// starting threads so they inherit the mask.
pub fn block_forwarded_signals() -> std::io::Result<()> {
    sys::block_forwarded_signals()
}

/// Waits up to `timeout_ms` for a signal blocked by
/// [`block_forwarded_signals`].
pub fn next_signal(timeout_ms: u64) -> std::io::Result<Option<Signal>> {
    Ok(sys::wait_signal(timeout_ms)?.and_then(Signal::from_named_raw))
}
