//! What changes while a container lives: `containers/<id>/state.json`,
//! always replaced whole (written aside, renamed into place).

use serde::{Deserialize, Serialize};

use crate::process::ProcessId;
use crate::status::Status;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerState {
    pub status: Status,
    /// The monitor process while one runs (strata re-executed, detached).
    pub monitor: Option<ProcessId>,
    /// The sandbox's init, the monitor's child: what signals go to.
    pub init: Option<ProcessId>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The last run's exit code: the process's own, or 128 + a signal.
    /// `None` when it is not known (the monitor died with it).
    pub exit_code: Option<i32>,
    pub oom_killed: bool,
    /// `stop` or `kill` ended the last run (a restart policy must not undo it).
    pub stopped_by_user: bool,
    /// Why the last run ended abnormally: a setup failure, a dead monitor.
    pub error: Option<String>,
    /// Restarts the restart policy made since the last start by a user.
    #[serde(default)]
    pub restart_count: u32,
    /// The running sandbox's freezer cgroup (root only): what pause freezes.
    #[serde(default)]
    pub freezer: Option<crate::Freezer>,
    /// The last run ended with its monitor found dead (see
    /// Container::refresh): nothing will remove a `--rm` container then.
    #[serde(default)]
    pub monitor_died: bool,
    /// The healthcheck's view of the current run.
    #[serde(default)]
    pub health: Option<crate::HealthState>,
}

impl ContainerState {
    pub fn created() -> Self {
        Self {
            status: Status::Created,
            monitor: None,
            init: None,
            started_at: None,
            finished_at: None,
            exit_code: None,
            oom_killed: false,
            stopped_by_user: false,
            error: None,
            restart_count: 0,
            freezer: None,
            monitor_died: false,
            health: None,
        }
    }

    /// Marks the end of a run.
    pub fn exited(&mut self, code: Option<i32>, error: Option<String>) {
        self.ended(Status::Exited, code, error);
    }

    /// The end of a run that the monitor's restart policy follows up.
    pub fn restarting(&mut self, code: i32) {
        self.ended(Status::Restarting, Some(code), None);
        self.restart_count += 1;
    }

    fn ended(&mut self, status: Status, code: Option<i32>, error: Option<String>) {
        self.status = status;
        if status == Status::Exited {
            self.monitor = None;
        }
        self.init = None;
        self.freezer = None;
        self.finished_at = Some(crate::time::Timestamp::now());
        self.exit_code = code;
        self.error = error;
    }
}
