//! How much the workload is confined beyond its namespaces: capabilities,
//! the seccomp filter, the device policy, masked paths, no_new_privs.
//! The defaults are Docker's for a root container.

use caps::Capability;
use serde::{Deserialize, Serialize};

use crate::seccomp::Profile;

/// The workload's confinement. `Default` is Docker's `docker run` without
/// security flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Security {
    /// `--privileged`: every capability, no seccomp filter, every device
    /// openable, no masked or read-only kernel paths.
    pub privileged: bool,
    pub seccomp: SeccompPolicy,
    /// Set PR_SET_NO_NEW_PRIVS before exec, so setuid and file capabilities
    /// cannot raise privileges (`--security-opt no-new-privileges`). Off by
    /// default as in Docker and BuildKit: it breaks sudo, ping, setuid.
    pub no_new_privs: bool,
    /// `--cap-add`, on top of the default set.
    pub cap_add: Vec<Capability>,
    /// `--cap-drop`, taken from the default set.
    pub cap_drop: Vec<Capability>,
}

/// Which seccomp filter the workload runs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SeccompPolicy {
    /// Docker's default profile (see [`crate::seccomp::default_profile`]).
    #[default]
    Default,
    /// `seccomp=unconfined`: no filter.
    Unconfined,
    /// `seccomp=PROFILE.json`: a profile in Docker's format.
    Profile(Profile),
}

/// Docker's default capability set for root.
pub const DEFAULT_CAPS: &[Capability] = &[
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];

impl Security {
    /// `--privileged`.
    pub fn privileged() -> Self {
        Self {
            privileged: true,
            seccomp: SeccompPolicy::Unconfined,
            ..Self::default()
        }
    }

    /// The bounding set, and root's permitted set, as Docker tweaks it:
    /// the default set (every capability when privileged) minus `cap_drop`
    /// plus `cap_add`; but `--cap-add ALL` is every capability minus
    /// `cap_drop`.
    pub fn capabilities(&self) -> Vec<Capability> {
        let all = all_caps();
        let add_all = all.iter().all(|c| self.cap_add.contains(c));
        let mut set: Vec<Capability> = if self.privileged || add_all {
            all
        } else {
            DEFAULT_CAPS.to_vec()
        };
        set.retain(|c| !self.cap_drop.contains(c));
        if !add_all {
            for cap in &self.cap_add {
                if !set.contains(cap) {
                    set.push(*cap);
                }
            }
        }
        set.sort_by_key(|c| c.index());
        set
    }

    /// Whether device nodes are confined to Docker's default set.
    pub fn device_policy(&self) -> bool {
        !self.privileged
    }

    /// Whether /proc and /sys internals are masked or read-only.
    pub fn masked_paths(&self) -> bool {
        !self.privileged
    }
}

/// Reads a capability as Docker's flags spell it: `NET_ADMIN`,
/// `CAP_NET_ADMIN`, any case. `ALL` is not a capability: see [`all_caps`].
pub fn parse_capability(name: &str) -> Option<Capability> {
    let upper = name.trim().to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    full.parse().ok()
}

/// Every capability the kernel and the caps crate know, for `--cap-add ALL`.
pub fn all_caps() -> Vec<Capability> {
    let mut all: Vec<Capability> = caps::all().into_iter().collect();
    all.sort_by_key(|c| c.index());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_drops_apply_to_the_default_set() {
        let sec = Security {
            cap_add: vec![Capability::CAP_SYS_ADMIN],
            cap_drop: vec![Capability::CAP_MKNOD],
            ..Security::default()
        };
        let set = sec.capabilities();
        assert!(!set.contains(&Capability::CAP_MKNOD));
        assert!(set.contains(&Capability::CAP_SYS_ADMIN));
        assert!(set.contains(&Capability::CAP_CHOWN));
        assert_eq!(set.len(), DEFAULT_CAPS.len());
    }

    #[test]
    fn drop_all_then_add_keeps_only_the_added_and_add_all_then_drop() {
        let only = Security {
            cap_drop: all_caps(),
            cap_add: vec![Capability::CAP_CHOWN],
            ..Security::default()
        };
        assert_eq!(only.capabilities(), [Capability::CAP_CHOWN]);
        let most = Security {
            cap_add: all_caps(),
            cap_drop: vec![Capability::CAP_SYS_ADMIN],
            ..Security::default()
        };
        assert_eq!(most.capabilities().len(), all_caps().len() - 1);
    }

    #[test]
    fn privileged_has_every_capability_and_no_filter() {
        let sec = Security::privileged();
        assert_eq!(sec.capabilities(), all_caps());
        assert_eq!(sec.seccomp, SeccompPolicy::Unconfined);
        assert!(!sec.device_policy() && !sec.masked_paths());
    }

    #[test]
    fn capability_names_read_as_docker_spells_them() {
        assert_eq!(
            parse_capability("net_admin"),
            Some(Capability::CAP_NET_ADMIN)
        );
        assert_eq!(
            parse_capability("CAP_SYS_ADMIN"),
            Some(Capability::CAP_SYS_ADMIN)
        );
        assert_eq!(parse_capability("FLY"), None);
    }
}
