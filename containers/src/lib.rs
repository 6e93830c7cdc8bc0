//! Containers with a whole lifecycle and no daemon: records under
//! `ROOT/containers/<id>/`, a monitor process per running container (the
//! strata binary re-executed and detached, parent of the sandbox), and
//! liveness that a reused pid or a reboot cannot fool (pid + /proc start
//! time + boot id).
//!
//! ```no_run
//! # use strata_containers::*;
//! # fn f(containers: &Containers, monitor: &MonitorCommand) -> Result<(), ContainerError> {
//! let c = containers.find("web")?;
//! let _lock = c.lock()?; // one command at a time on a container
//! monitor::start(&c, monitor)?;
//! let (state, _how) = stop(&c, parse_signal("TERM")?, std::time::Duration::from_secs(10))?;
//! assert_eq!(state.status, Status::Exited);
//! # Ok(()) }
//! ```

pub mod attach;
mod commit;
mod commit_image;
mod config;
mod config_change;
mod console;
mod container;
pub mod copy;
mod diff;
mod error;
mod freezer;
mod fsck;
mod health;
mod id;
mod lock;
pub mod log;
mod members;
pub mod monitor;
mod network;
mod network_join;
mod ops;
mod pins;
mod process;
mod registry;
mod remove_tree;
mod restart;
mod signal;
mod state;
mod stats;
mod status;
mod time;
mod volume;
mod volume_runs;

pub use commit::{CommitOptions, commit};
pub use config::ContainerConfig;
pub use config_change::ConfigChange;
pub use container::Container;
pub use diff::{Change, diff};
pub use error::ContainerError;
pub use freezer::Freezer;
pub use fsck::{ContainersReport, fsck};
pub use health::{Health, HealthConfig, HealthResult, HealthState};
pub use lock::FileLock;
pub use members::processes;
pub use monitor::MonitorCommand;
pub use network::{set_networks, wire};
pub use network_join::join as join_container_network;
pub use ops::{
    Stopped, attach_lock, exec, follow, kill, pause, remove, stop, unpause, wait, wait_removed,
};
pub use process::ProcessId;
pub use registry::Containers;
pub use restart::RestartPolicy;
pub use signal::parse_signal;
pub use state::ContainerState;
pub use stats::{Usage, cpu_percent, usage};
pub use status::Status;
pub use time::{Timestamp, human_duration};
pub use volume::{Volume, Volumes, disk_usage, valid_volume_name};
pub use volume_runs::RunHold;
