//! A seccomp profile in Docker's JSON format (`docker run --security-opt
//! seccomp=FILE.json`): a default action and groups of syscalls with an
//! action, argument conditions and a scope (capabilities, arches, kernel).

use caps::Capability;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub default_action: Action,
    #[serde(default)]
    pub default_errno_ret: Option<u32>,
    #[serde(default)]
    pub syscalls: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub names: Vec<String>,
    /// The old format's single name.
    #[serde(default)]
    pub name: Option<String>,
    pub action: Action,
    #[serde(default)]
    pub errno_ret: Option<u32>,
    #[serde(default)]
    pub args: Vec<Arg>,
    #[serde(default)]
    pub includes: Filter,
    #[serde(default)]
    pub excludes: Filter,
}

/// The actions of libseccomp that a BPF filter can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "SCMP_ACT_ALLOW")]
    Allow,
    #[serde(rename = "SCMP_ACT_ERRNO")]
    Errno,
    #[serde(rename = "SCMP_ACT_KILL", alias = "SCMP_ACT_KILL_THREAD")]
    KillThread,
    #[serde(rename = "SCMP_ACT_KILL_PROCESS")]
    KillProcess,
    #[serde(rename = "SCMP_ACT_TRAP")]
    Trap,
    #[serde(rename = "SCMP_ACT_TRACE")]
    Trace,
    #[serde(rename = "SCMP_ACT_LOG")]
    Log,
}

/// A condition on one argument. For `MaskedEq`, `value` is the mask and
/// `value_two` the datum, as in Docker's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arg {
    pub index: u8,
    pub value: u64,
    #[serde(default)]
    pub value_two: u64,
    pub op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "SCMP_CMP_NE")]
    Ne,
    #[serde(rename = "SCMP_CMP_LT")]
    Lt,
    #[serde(rename = "SCMP_CMP_LE")]
    Le,
    #[serde(rename = "SCMP_CMP_EQ")]
    Eq,
    #[serde(rename = "SCMP_CMP_GE")]
    Ge,
    #[serde(rename = "SCMP_CMP_GT")]
    Gt,
    #[serde(rename = "SCMP_CMP_MASKED_EQ")]
    MaskedEq,
}

/// A group's scope. In `includes` every listed capability must be held;
/// in `excludes` holding any one of them drops the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(default)]
    pub caps: Vec<Capability>,
    /// Go's names: amd64, arm64, x86, ...
    #[serde(default)]
    pub arches: Vec<String>,
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// A [`Filter`] as the encoded default profile spells it, without
/// allocating.
#[derive(Debug, Clone, Copy)]
pub struct When<'a> {
    pub caps: &'a [Capability],
    pub arches: &'a [&'a str],
    pub min_kernel: Option<&'a str>,
}

impl When<'_> {
    pub fn to_owned_filter(self) -> Filter {
        Filter {
            caps: self.caps.to_vec(),
            arches: self.arches.iter().map(|a| (*a).to_owned()).collect(),
            min_kernel: self.min_kernel.map(str::to_owned),
        }
    }
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// What a group's scope is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Host<'a> {
    pub caps: &'a [Capability],
    /// Go's name of this architecture.
    pub arch: &'a str,
    pub kernel: (u32, u32),
}

impl Rule {
    /// Docker's rule: every condition of `includes` holds and no condition
    /// of `excludes` does.
    pub fn applies(&self, host: &Host) -> bool {
        let inc = &self.includes;
        let exc = &self.excludes;
        let included = inc.caps.iter().all(|c| host.caps.contains(c))
            && (inc.arches.is_empty() || inc.arches.iter().any(|a| a == host.arch))
            && inc
                .min_kernel
                .as_deref()
                .is_none_or(|k| parse_kernel(k).is_some_and(|min| host.kernel >= min));
        let excluded = !exc.is_empty()
            && (exc.caps.iter().any(|c| host.caps.contains(c))
                || exc.arches.iter().any(|a| a == host.arch)
                || exc
                    .min_kernel
                    .as_deref()
                    .is_some_and(|k| parse_kernel(k).is_some_and(|min| host.kernel >= min)));
        included && !excluded
    }

    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .map(String::as_str)
            .chain(self.name.as_deref())
    }
}

/// "4.8" or "5.15.0-91-generic" as (major, minor).
pub fn parse_kernel(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: Host = Host {
        caps: &[Capability::CAP_CHOWN],
        arch: "amd64",
        kernel: (6, 1),
    };

    fn rule(json: &str) -> Rule {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn scopes_follow_dockers_include_and_exclude_rules() {
        let always = rule(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW"}"#);
        assert!(always.applies(&HOST));
        let admin = rule(
            r#"{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}"#,
        );
        assert!(!admin.applies(&HOST));
        let not_admin = rule(
            r#"{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"excludes":{"caps":["CAP_SYS_ADMIN"]}}"#,
        );
        assert!(not_admin.applies(&HOST));
        let arm =
            rule(r#"{"names":["x"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["arm64"]}}"#);
        assert!(!arm.applies(&HOST));
        let new_kernel = rule(
            r#"{"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"6.2"}}"#,
        );
        assert!(!new_kernel.applies(&HOST));
    }

    #[test]
    fn kernel_releases_read_as_major_minor() {
        assert_eq!(parse_kernel("6.18.44-fc-v857"), Some((6, 18)));
        assert_eq!(parse_kernel("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel("x"), None);
    }
}
