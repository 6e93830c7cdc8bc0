//! docker's `--device` and `--device-cgroup-rule` for run and create.

use std::path::Path;

use clap::Args;
use strata_executor::{DeviceAccess, DeviceNode, DeviceRule};

#[derive(Debug, Args)]
pub struct DeviceFlags {
    /// Give the container a host device: HOST[:CONTAINER][:PERMS], PERMS a
    /// subset of rwm (default rwm); a directory gives every node under it.
    /// A CDI name, VENDOR/CLASS=NAME, gives that CDI device's edits.
    #[arg(
        long = "device",
        value_name = "HOST[:CONTAINER][:PERMS]|VENDOR/CLASS=NAME",
        value_parser = super::cdi_device::device_flag
    )]
    pub devices: Vec<super::cdi_device::DeviceFlag>,
    /// A directory of CDI specs for CDI --device names (repeatable, later
    /// ones win; replaces the default /etc/cdi and /var/run/cdi).
    #[arg(long = "cdi-spec-dir", value_name = "DIR")]
    pub cdi_spec_dirs: Vec<std::path::PathBuf>,
    /// Allow devices by number in the container's devices cgroup: 'TYPE
    /// MAJOR:MINOR ACCESS', TYPE c, b or a, * for any number (root only).
    #[arg(long = "device-cgroup-rule", value_name = "RULE", value_parser = rule_arg)]
    pub device_cgroup_rules: Vec<DeviceRule>,
}

/// One `--device` as written; the host side is looked at by [`nodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceArg {
    pub host: String,
    pub container: String,
    pub access: DeviceAccess,
}

/// docker's parseDevice: `HOST`, `HOST:PERMS`, `HOST:CONTAINER`,
/// `HOST:CONTAINER:PERMS`; a second field that reads as permissions is one.
pub fn device_arg(text: &str) -> Result<DeviceArg, String> {
    let fields: Vec<&str> = text.split(':').collect();
    let (host, container, access) = match fields[..] {
        [host] => (host, host, None),
        [host, second] => match second.parse::<DeviceAccess>() {
            Ok(access) => (host, host, Some(access)),
            Err(_) => (host, second, None),
        },
        [host, container, perms] => (
            host,
            container,
            Some(perms.parse().map_err(|e| format!("{text}: {e}"))?),
        ),
        _ => return Err(format!("{text}: want HOST[:CONTAINER][:PERMS]")),
    };
    if host.is_empty() || container.is_empty() {
        return Err(format!("{text}: want HOST[:CONTAINER][:PERMS]"));
    }
    if !container.starts_with('/') {
        return Err(format!("{text}: {container} must be an absolute path"));
    }
    Ok(DeviceArg {
        host: host.to_owned(),
        container: container.to_owned(),
        access: access.unwrap_or_default(),
    })
}

fn rule_arg(text: &str) -> Result<DeviceRule, String> {
    text.parse()
        .map_err(|e: strata_executor::DeviceError| e.to_string())
}

impl DeviceArg {
    /// The host node, or every node under a host directory (at the same
    /// place under CONTAINER), as docker does; errors name the path.
    pub fn nodes(&self) -> Result<Vec<DeviceNode>, strata_executor::DeviceError> {
        let host = Path::new(&self.host);
        if !host.is_dir() {
            return Ok(vec![DeviceNode::from_host(
                host,
                &self.container,
                self.access,
            )?]);
        }
        let mut out = Vec::new();
        walk(host, Path::new(&self.container), self.access, &mut out)?;
        Ok(out)
    }
}

/// Nodes under `dir`, sorted by name so the order is the same every run;
/// what is not a device (or is unreadable) is skipped, as docker does.
fn walk(
    dir: &Path,
    inside: &Path,
    access: DeviceAccess,
    out: &mut Vec<DeviceNode>,
) -> Result<(), strata_executor::DeviceError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let (host, target) = (entry.path(), inside.join(entry.file_name()));
        // Not followed: a link loop under /dev must not hang us.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&host, &target, access, out)?;
        } else if let Ok(node) = DeviceNode::from_host(&host, &target.to_string_lossy(), access) {
            out.push(node);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(text: &str) -> (String, String, String) {
        let a = device_arg(text).unwrap();
        (a.host, a.container, a.access.to_string())
    }

    /// docker's opts/parse.go cases for --device.
    #[test]
    fn device_flags_read_as_dockers() {
        let s = |v: &str| v.to_owned();
        assert_eq!(arg("/dev/kmsg"), (s("/dev/kmsg"), s("/dev/kmsg"), s("rwm")));
        assert_eq!(arg("/dev/kmsg:r"), (s("/dev/kmsg"), s("/dev/kmsg"), s("r")));
        assert_eq!(
            arg("/dev/kmsg:/dev/k"),
            (s("/dev/kmsg"), s("/dev/k"), s("rwm"))
        );
        assert_eq!(
            arg("/dev/kmsg:/dev/k:rw"),
            (s("/dev/kmsg"), s("/dev/k"), s("rw"))
        );
        assert!(device_arg("/dev/kmsg:/dev/k:rwx").is_err());
        assert!(device_arg("/dev/kmsg:k").is_err(), "relative inside");
        assert!(device_arg("a:b:c:d").is_err());
    }

    #[test]
    fn a_directory_gives_every_node_under_it_and_a_file_is_refused() {
        let nodes = DeviceArg {
            host: "/dev/net".into(),
            container: "/dev/n".into(),
            access: DeviceAccess::ALL,
        };
        if Path::new("/dev/net/tun").exists() {
            let got = nodes.nodes().unwrap();
            assert!(got.iter().any(|n| n.path == "/dev/n/tun"), "{got:?}");
        }
        let file = device_arg("/etc/passwd").unwrap();
        assert_eq!(
            file.nodes().unwrap_err().to_string(),
            "/etc/passwd: not a device node"
        );
    }
}
