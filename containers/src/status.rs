//! Where a container is in its lifecycle.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Made by `create`; never started.
    Created,
    Running,
    Paused,
    /// Its process ended; the monitor starts it again after a pause (the
    /// restart policy).
    Restarting,
    /// Its process ended (or was found dead); it can be started again.
    Exited,
}

impl Status {
    /// Whether a monitor should exist (and, but for a restart's pause, a
    /// sandbox).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Exited => "exited",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Created, Self::Running, Self::Paused, Self::Exited]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
