//! The devices a caller hands to one run (`--device`, CDI's deviceNodes)
//! and the extra device cgroup rules it grants (`--device-cgroup-rule`):
//! the public, serializable side. How a run gets them is devices.rs (its
//! own devices cgroup) and init/run_devices.rs (the nodes inside).

use std::fmt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a device or device rule cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: not a device node", path.display())]
    NotADevice { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Stat {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the path inside the container must be absolute")]
    RelativeTarget { path: String },
    #[error("invalid device access {0:?}: want a subset of \"rwm\"")]
    InvalidAccess(String),
    #[error("invalid device cgroup rule {rule:?}: {reason}")]
    InvalidRule { rule: String, reason: String },
}

/// Character or block device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceKind {
    Char,
    Block,
}

impl DeviceKind {
    /// The letter of the cgroup v1 rule syntax (`c`, `b`).
    pub fn letter(self) -> char {
        match self {
            DeviceKind::Char => 'c',
            DeviceKind::Block => 'b',
        }
    }
}

/// What a run may do with a device: cgroup's `r`, `w` and `m` (mknod).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceAccess {
    pub read: bool,
    pub write: bool,
    pub mknod: bool,
}

impl DeviceAccess {
    /// `rwm`, docker's default.
    pub const ALL: DeviceAccess = DeviceAccess {
        read: true,
        write: true,
        mknod: true,
    };

    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        !(self.read || self.write || self.mknod)
    }
}

impl Default for DeviceAccess {
    fn default() -> Self {
        Self::ALL
    }
}

impl FromStr for DeviceAccess {
    type Err = DeviceError;

    /// A non-empty subset of `rwm`, in any order, each letter once.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut access = DeviceAccess {
            read: false,
            write: false,
            mknod: false,
        };
        for c in s.chars() {
            let flag = match c {
                'r' => &mut access.read,
                'w' => &mut access.write,
                'm' => &mut access.mknod,
                _ => return Err(DeviceError::InvalidAccess(s.to_owned())),
            };
            if *flag {
                return Err(DeviceError::InvalidAccess(s.to_owned()));
            }
            *flag = true;
        }
        if access.is_empty() {
            return Err(DeviceError::InvalidAccess(s.to_owned()));
        }
        Ok(access)
    }
}

impl fmt::Display for DeviceAccess {
    /// In the order docker prints it: `rwm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, c) in [(self.read, 'r'), (self.write, 'w'), (self.mknod, 'm')] {
            if on {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// A host device node given to a run: it appears at `path` inside, and
/// the run's device cgroup allows `access` on its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceNode {
    /// Where it appears inside; absolute.
    pub path: String,
    /// The host node it is (bound from, or numbered after).
    pub host_path: PathBuf,
    pub kind: DeviceKind,
    pub major: u32,
    pub minor: u32,
    pub access: DeviceAccess,
    /// Permission bits of the node inside; the host node's when `None`.
    pub file_mode: Option<u32>,
    /// Owner inside; the host node's when `None`.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl DeviceNode {
    /// The device node at `host` (symlinks followed, as docker does for
    /// `/dev/disk/by-id/...`), to appear at `inside`.
    pub fn from_host(
        host: impl AsRef<Path>,
        inside: &str,
        access: DeviceAccess,
    ) -> Result<Self, DeviceError> {
        let host = host.as_ref();
        if !inside.starts_with('/') {
            return Err(DeviceError::RelativeTarget {
                path: inside.to_owned(),
            });
        }
        let meta = std::fs::metadata(host).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => DeviceError::NotFound {
                path: host.to_path_buf(),
            },
            _ => DeviceError::Stat {
                path: host.to_path_buf(),
                source,
            },
        })?;
        let kind = if meta.file_type().is_char_device() {
            DeviceKind::Char
        } else if meta.file_type().is_block_device() {
            DeviceKind::Block
        } else {
            return Err(DeviceError::NotADevice {
                path: host.to_path_buf(),
            });
        };
        let rdev = meta.rdev();
        Ok(Self {
            path: inside.to_owned(),
            host_path: host.to_path_buf(),
            kind,
            major: rustix::fs::major(rdev),
            minor: rustix::fs::minor(rdev),
            access,
            file_mode: None,
            uid: None,
            gid: None,
        })
    }

    /// The cgroup rule that lets the run use this node as granted.
    pub fn rule(&self) -> DeviceRule {
        DeviceRule {
            kind: Some(self.kind),
            major: Some(self.major),
            minor: Some(self.minor),
            access: self.access,
        }
    }
}

/// An extra device cgroup rule: docker's `--device-cgroup-rule`, `TYPE
/// MAJOR:MINOR ACCESS`, `TYPE` one of `c`, `b` or `a` (all), `*` for any
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceRule {
    /// `None`: both kinds (`a`).
    pub kind: Option<DeviceKind>,
    /// `None`: any (`*`).
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub access: DeviceAccess,
}

impl FromStr for DeviceRule {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| DeviceError::InvalidRule {
            rule: s.to_owned(),
            reason,
        };
        let fields: Vec<&str> = s.split_whitespace().collect();
        // The v1 devices.allow syntax also takes a lone `a` for everything.
        if fields == ["a"] {
            return Ok(DeviceRule {
                kind: None,
                major: None,
                minor: None,
                access: DeviceAccess::ALL,
            });
        }
        let [kind, numbers, access] = fields[..] else {
            return Err(bad(
                "want TYPE MAJOR:MINOR ACCESS (e.g. \"c 1:3 rwm\")".into()
            ));
        };
        let kind = match kind {
            "c" => Some(DeviceKind::Char),
            "b" => Some(DeviceKind::Block),
            "a" => None,
            other => {
                return Err(bad(format!(
                    "invalid device type {other:?} (want c, b or a)"
                )));
            }
        };
        // podman takes a lone major (`a 7 rmw`) for every minor of it.
        let (major, minor) = numbers.split_once(':').unwrap_or((numbers, "*"));
        let number = |n: &str, what: &str| match n {
            "*" => Ok(None),
            n => n
                .parse::<u32>()
                .map(Some)
                .map_err(|_| bad(format!("invalid {what} number {n:?} (want a number or *)"))),
        };
        if let Some(c) = access.chars().find(|c| !"rwm".contains(*c)) {
            return Err(bad(format!(
                "invalid device access {c:?} in {access:?} (want a subset of rwm)"
            )));
        }
        let access = access.parse().map_err(|_| {
            bad(format!(
                "invalid device access {access:?} (each of rwm once)"
            ))
        })?;
        Ok(DeviceRule {
            kind,
            major: number(major, "major")?,
            minor: number(minor, "minor")?,
            access,
        })
    }
}

impl fmt::Display for DeviceRule {
    /// The `devices.allow` line, as docker's inspect shows the rule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let num = |n: Option<u32>| n.map_or_else(|| "*".to_owned(), |n| n.to_string());
        write!(
            f,
            "{} {}:{} {}",
            self.kind.map_or('a', DeviceKind::letter),
            num(self.major),
            num(self.minor),
            self.access
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> Result<DeviceRule, String> {
        s.parse::<DeviceRule>().map_err(|e| e.to_string())
    }

    /// podman's 030-run.bats "podman run --device-cgroup-rule tests": the
    /// accepted rules, then each bad one with the part its error names.
    #[test]
    fn device_cgroup_rules_parse_as_podman_accepts_them() {
        for ok in [
            "b 7:* rmw",
            "c 7:* rmw",
            "a 7:1 rmw",
            "a 7 rmw",
            "a",
            "c *:* m",
        ] {
            assert!(rule(ok).is_ok(), "{ok}: {:?}", rule(ok));
        }
        assert_eq!(rule("a 7 rmw").unwrap().to_string(), "a 7:* rwm");
        assert_eq!(rule("c 1:11 r").unwrap().to_string(), "c 1:11 r");
        let err = rule("b 7:* rmX").unwrap_err();
        assert!(err.contains("invalid device access 'X'"), "{err}");
        let err = rule("b 7:2").unwrap_err();
        assert!(
            err.contains("TYPE MAJOR:MINOR ACCESS") && err.contains("\"b 7:2\""),
            "{err}"
        );
        let err = rule("x 7:* rmw").unwrap_err();
        assert!(err.contains("invalid device type \"x\""), "{err}");
        let err = rule("a a:* rmw").unwrap_err();
        assert!(err.contains("invalid major number \"a\""), "{err}");
        let err = rule("c 1:z rw").unwrap_err();
        assert!(err.contains("invalid minor number \"z\""), "{err}");
    }

    #[test]
    fn access_is_a_nonempty_subset_of_rwm_printed_in_dockers_order() {
        assert_eq!("mwr".parse::<DeviceAccess>().unwrap().to_string(), "rwm");
        assert_eq!("r".parse::<DeviceAccess>().unwrap().to_string(), "r");
        for bad in ["", "rr", "rx", "a"] {
            assert!(bad.parse::<DeviceAccess>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn from_host_reads_the_node_and_refuses_what_is_not_one() {
        let null = DeviceNode::from_host("/dev/null", "/dev/n", DeviceAccess::ALL).unwrap();
        assert_eq!(
            (null.kind, null.major, null.minor),
            (DeviceKind::Char, 1, 3)
        );
        assert_eq!(null.rule().to_string(), "c 1:3 rwm");
        let err = DeviceNode::from_host("/etc/passwd", "/x", DeviceAccess::ALL).unwrap_err();
        assert_eq!(err.to_string(), "/etc/passwd: not a device node");
        let err = DeviceNode::from_host("/nope", "/x", DeviceAccess::ALL).unwrap_err();
        assert_eq!(err.to_string(), "/nope: no such file");
        assert!(DeviceNode::from_host("/dev/null", "dev/n", DeviceAccess::ALL).is_err());
    }

    /// A container stored before devices existed still loads.
    #[test]
    fn a_run_spec_without_devices_still_deserializes() {
        let spec = crate::RunSpec::new(crate::Rootfs::Dir("/r".into()), vec!["true".into()]);
        let mut json = serde_json::to_value(&spec).unwrap();
        let map = json.as_object_mut().unwrap();
        map.remove("devices");
        map.remove("device_rules");
        let back: crate::RunSpec = serde_json::from_value(json).unwrap();
        assert!(back.devices.is_empty() && back.device_rules.is_empty());
    }
}
