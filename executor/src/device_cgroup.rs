//! A run given devices (`--device`, `--device-cgroup-rule`) gets a devices
//! cgroup of its own: the shared policy plus its grants, never more. It
//! cannot be a child of the policy cgroup, whose allow list a v1 child
//! could not exceed, so it is a sibling: `strata/run-PID-N` next to
//! `strata/policy-1`, in the v1 devices hierarchy (deny everything, then
//! the rules) or under the cgroup2 mount (the program assembled from
//! them). The parent moves the run's init in before it forks, whatever
//! cgroup the parent sits in (a build sits in the policy's), and removes
//! the dir with the run's other cgroups when it ends.

use std::path::{Path, PathBuf};

use crate::devices::{Hierarchy, err};
use crate::{DeviceRule, ExecError, RunSpec};

/// What `spec` is granted beyond the policy: its devices' numbers with
/// their access, then its extra rules.
pub(crate) fn grants(spec: &RunSpec) -> Vec<DeviceRule> {
    spec.devices
        .iter()
        .map(crate::DeviceNode::rule)
        .chain(spec.device_rules.iter().copied())
        .collect()
}

/// Whether `spec`'s run gets a devices cgroup of its own: it is granted
/// something, is confined by the policy (a privileged run has every
/// device already), and the policy applies here (root, a hierarchy).
pub(crate) fn wanted(spec: &RunSpec) -> bool {
    (!spec.devices.is_empty() || !spec.device_rules.is_empty())
        && spec.security.device_policy()
        && crate::devices::applicable().is_some()
}

/// Makes the run's devices cgroup `name` with the policy and `grants`.
pub(crate) fn create(name: &str, grants: &[DeviceRule]) -> Result<PathBuf, ExecError> {
    let hierarchy = crate::devices::applicable().ok_or_else(|| {
        ExecError::Setup("a devices cgroup needs root and a devices hierarchy".into())
    })?;
    create_in(hierarchy, name, grants)
}

fn create_in(
    hierarchy: &Hierarchy,
    name: &str,
    grants: &[DeviceRule],
) -> Result<PathBuf, ExecError> {
    let parent = hierarchy.root().join("strata");
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
    let made = match hierarchy {
        Hierarchy::V1(_) => write_v1(&dir, grants),
        Hierarchy::V2(_) => crate::devices::confine(&dir, grants),
    };
    if let Err(e) = made {
        let _ = std::fs::remove_dir(&dir);
        return Err(e);
    }
    Ok(dir)
}

/// Deny everything, the policy's lines, then the grants: a grant the
/// parent cgroup does not allow is an error, not a silent loss.
fn write_v1(dir: &Path, grants: &[DeviceRule]) -> Result<(), ExecError> {
    crate::devices::write_rules(dir)?;
    let allow = dir.join("devices.allow");
    for rule in grants {
        let line = crate::device_rules::v1_line(rule);
        std::fs::write(&allow, &line).map_err(|e| err(&allow.join(format!("({line})")), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain directory stands in for the v1 hierarchy: the run's dir is a
    /// sibling of the policy's, starts from deny-all and ends with the
    /// grants (a plain file keeps only the last write).
    #[test]
    fn a_v1_run_cgroup_sits_beside_the_policy_and_ends_with_the_grants() {
        let root = tempfile::tempdir().unwrap();
        let grants: Vec<DeviceRule> = vec!["c 1:11 r".parse().unwrap()];
        let dir = create_in(&Hierarchy::V1(root.path().into()), "run-7-0", &grants).unwrap();
        assert_eq!(dir, root.path().join("strata/run-7-0"));
        assert_eq!(
            std::fs::read_to_string(dir.join("devices.deny")).unwrap(),
            "a"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("devices.allow")).unwrap(),
            "c 1:11 r"
        );
    }

    #[test]
    fn grants_are_the_devices_then_the_rules() {
        let mut spec = RunSpec::new(crate::Rootfs::Dir("/r".into()), vec!["true".into()]);
        spec.devices.push(
            crate::DeviceNode::from_host("/dev/null", "/dev/n", "r".parse().unwrap()).unwrap(),
        );
        spec.device_rules.push("b 7:* rw".parse().unwrap());
        let lines: Vec<_> = grants(&spec).iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["c 1:3 r", "b 7:* rw"]);
    }
}
