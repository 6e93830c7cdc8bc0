//! How a bind mount is made beyond read-only: the per-mount flags and the
//! propagation of an OCI mount's options (`nosuid`, `bind`, `rslave`, ...).

use serde::{Deserialize, Serialize};

/// Flags of a bind mount. The default is a plain `rbind`: submounts of the
/// source come along, suid, devices and exec allowed, propagation left as
/// the sandbox's mount namespace has it (private).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BindOptions {
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
    /// `rbind` (true) or `bind`: whether mounts below the source are bound too.
    pub recursive: bool,
    pub propagation: Option<Propagation>,
}

impl Default for BindOptions {
    fn default() -> Self {
        Self {
            nosuid: false,
            nodev: false,
            noexec: false,
            recursive: true,
            propagation: None,
        }
    }
}

impl BindOptions {
    /// Whether the bind needs a remount for its flags (a bind takes its
    /// source's flags; only MS_REMOUNT|MS_BIND changes them).
    pub fn any_flag(&self) -> bool {
        self.nosuid || self.nodev || self.noexec
    }
}

/// Mount propagation, as mount(8) and the OCI runtime spec name it; the
/// `R` forms apply to the mounts below as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Propagation {
    Private,
    RPrivate,
    Slave,
    RSlave,
    Shared,
    RShared,
}

impl Propagation {
    /// The option word (`rslave`) for this propagation, if `word` is one.
    pub fn from_option(word: &str) -> Option<Self> {
        Some(match word {
            "private" => Self::Private,
            "rprivate" => Self::RPrivate,
            "slave" => Self::Slave,
            "rslave" => Self::RSlave,
            "shared" => Self::Shared,
            "rshared" => Self::RShared,
            _ => return None,
        })
    }
}

impl Propagation {
    /// The option word for this propagation (`rslave`), as docker shows it.
    pub fn as_option(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::RPrivate => "rprivate",
            Self::Slave => "slave",
            Self::RSlave => "rslave",
            Self::Shared => "shared",
            Self::RShared => "rshared",
        }
    }
}
