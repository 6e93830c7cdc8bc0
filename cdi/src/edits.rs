//! What the chosen devices do to a container (pkg/cdi/container-edits.go):
//! each spec's own edits once, before its first device's, then each
//! device's, in the order asked. Device nodes get their type, numbers and
//! mode from the host node when the spec leaves them out.

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;

use serde::Serialize;

use crate::error::Error;
use crate::mount_options::MountOptions;
use crate::registry::{Entry, Registry};
use crate::spec::{ContainerEdits, DeviceNodeSpec};

/// A device node to create in the container and allow in its device cgroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceNode {
    /// Where it appears in the container.
    pub path: PathBuf,
    /// The host node it stands for (`path` when the spec gives none).
    pub host_path: PathBuf,
    /// `b`, `c` (or `u`) or `p`.
    pub kind: char,
    pub major: i64,
    pub minor: i64,
    /// cgroup access, `rwm` unless the spec says otherwise.
    pub access: String,
    /// Permission bits of the node; the host node's when the spec has none.
    pub file_mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// A bind of a host path into the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountEdit {
    pub host_path: PathBuf,
    pub container_path: PathBuf,
    pub options: Vec<String>,
    /// `options` read; an edit with an option strata cannot apply is
    /// refused when the edits are gathered.
    pub flags: MountOptions,
    pub kind: Option<String>,
}

/// The edits of a set of devices, merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Edits {
    /// The qualified names the edits came from, in order.
    pub devices: Vec<String>,
    pub env: Vec<String>,
    pub device_nodes: Vec<DeviceNode>,
    pub mounts: Vec<MountEdit>,
    /// Supplementary groups for the process (0 is left out, as CDI does).
    pub additional_gids: Vec<u32>,
}

impl Edits {
    /// Text that changes whenever the edits do: what a build step's cache
    /// key holds for its devices (the host node numbers included, so a
    /// device renumbered on the host is a new step).
    pub fn key_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Registry {
    /// The merged edits of `names` (qualified names from [`Registry::find`]).
    pub fn edits(&self, names: &[String]) -> Result<Edits, Error> {
        let mut out = Edits::default();
        let mut specs_done = HashSet::new();
        for name in names {
            let entry = self.devices.get(name).ok_or_else(|| Error::NotRegistered {
                name: name.clone(),
                hint: self.problem_hint(),
            })?;
            if specs_done.insert(std::sync::Arc::as_ptr(&entry.spec)) {
                apply(&mut out, entry, &entry.spec.spec.container_edits, name)?;
            }
            apply(&mut out, entry, entry.edits(), name)?;
            out.devices.push(name.clone());
        }
        Ok(out)
    }
}

fn apply(out: &mut Edits, entry: &Entry, edits: &ContainerEdits, name: &str) -> Result<(), Error> {
    if edits.is_empty() {
        return Ok(());
    }
    let fail = |message: String| Error::Edit {
        path: entry.spec.path.clone(),
        device: name.to_string(),
        message,
    };
    // Hooks run host programs around the container's life; strata does not
    // run them, and a device without its hooks may be half set up.
    if let Some(h) = edits.hooks.first() {
        return Err(fail(format!(
            "has a {} hook ({}): CDI hooks are not supported",
            h.hook_name, h.path
        )));
    }
    if edits.intel_rdt.is_some() {
        return Err(fail("sets intelRdt: not supported".into()));
    }
    if !edits.net_devices.is_empty() {
        return Err(fail("moves netDevices: not supported".into()));
    }
    out.env.extend(edits.env.iter().cloned());
    for d in &edits.device_nodes {
        let node = fill_from_host(d).map_err(fail)?;
        out.device_nodes.retain(|n| n.path != node.path);
        out.device_nodes.push(node);
    }
    for m in &edits.mounts {
        out.mounts
            .retain(|o| o.container_path.as_path() != std::path::Path::new(&m.container_path));
        out.mounts.push(MountEdit {
            host_path: PathBuf::from(&m.host_path),
            container_path: PathBuf::from(&m.container_path),
            options: m.options.clone(),
            flags: MountOptions::parse(&m.options)
                .map_err(|e| fail(format!("mount {}: {e}", m.container_path)))?,
            kind: m.kind.clone(),
        });
    }
    // Parents before children, as the cdi package sorts mounts by depth.
    out.mounts
        .sort_by_key(|m| m.container_path.components().count());
    out.additional_gids
        .extend(edits.additional_gids.iter().filter(|&&g| g != 0));
    Ok(())
}

/// The cdi package's fillMissingInfo: a node given with its type and
/// major (or as a fifo) needs no host node; otherwise the host node must
/// exist and agree on the type.
fn fill_from_host(d: &DeviceNodeSpec) -> Result<DeviceNode, String> {
    let host_path = d.host_path.clone().unwrap_or_else(|| d.path.clone());
    let mut kind = d.kind.clone().filter(|k| !k.is_empty());
    let (mut major, mut minor) = (d.major.unwrap_or(0), d.minor.unwrap_or(0));
    let minimal = kind.as_deref().is_some_and(|k| major != 0 || k == "p");
    let mut file_mode = d.file_mode;
    match std::fs::symlink_metadata(&host_path) {
        Err(e) if !minimal => {
            return Err(format!(
                "device node {}: host node {host_path}: {e}",
                d.path
            ));
        }
        Err(_) => {}
        Ok(md) => {
            let ft = md.file_type();
            let host_kind = if ft.is_block_device() {
                "b"
            } else if ft.is_char_device() {
                "c"
            } else if ft.is_fifo() {
                "p"
            } else {
                return Err(format!(
                    "device node {}: {host_path} is not a device node",
                    d.path
                ));
            };
            file_mode.get_or_insert(md.mode() & 0o7777);
            if !minimal {
                let k = kind.get_or_insert_with(|| host_kind.to_string());
                let same = k == host_kind || (k == "u" && host_kind == "c");
                if !same {
                    return Err(format!(
                        "device node {} ({host_path}): type {k} but the host node is {host_kind}",
                        d.path
                    ));
                }
                if major == 0 && host_kind != "p" {
                    let rdev = md.rdev();
                    major = i64::from(rustix::fs::major(rdev));
                    minor = i64::from(rustix::fs::minor(rdev));
                }
            }
        }
    }
    let kind = kind
        .and_then(|k| k.chars().next())
        .ok_or_else(|| format!("device node {}: no type", d.path))?;
    Ok(DeviceNode {
        path: PathBuf::from(&d.path),
        host_path: PathBuf::from(host_path),
        kind,
        major,
        minor,
        access: d
            .permissions
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "rwm".into()),
        file_mode,
        uid: d.uid,
        gid: d.gid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(yaml: &str) -> (tempfile::TempDir, Registry) {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("v.yaml"), yaml).unwrap();
        let reg = Registry::load(&[d.path().to_path_buf()]);
        assert!(reg.problems().is_empty(), "{:?}", reg.problems());
        (d, reg)
    }

    #[test]
    fn spec_edits_come_once_before_the_devices() {
        let (_d, reg) = registry(
            "cdiVersion: \"0.7.0\"\nkind: v.com/c\ncontainerEdits:\n  env: [SPEC=1]\n  additionalGids: [0, 44]\ndevices:\n- name: a\n  containerEdits: {env: [A=1]}\n- name: b\n  containerEdits: {env: [B=1]}\n",
        );
        let e = reg
            .edits(&["v.com/c=a".into(), "v.com/c=b".into()])
            .unwrap();
        assert_eq!(e.env, ["SPEC=1", "A=1", "B=1"]);
        assert_eq!(e.additional_gids, [44]);
    }

    #[test]
    fn a_node_takes_type_and_numbers_from_the_host() {
        let (_d, reg) = registry(
            "cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: devnull\n  containerEdits:\n    deviceNodes:\n    - path: /dev/mynull\n      hostPath: /dev/null\n      permissions: rw\n",
        );
        let e = reg.edits(&["v.com/c=devnull".into()]).unwrap();
        let n = &e.device_nodes[0];
        assert_eq!(
            (n.kind, n.major, n.minor, n.access.as_str()),
            ('c', 1, 3, "rw")
        );
        assert_eq!(n.host_path, PathBuf::from("/dev/null"));
        assert!(n.file_mode.is_some());
    }

    #[test]
    fn a_missing_host_node_is_an_error_unless_the_spec_gives_its_numbers() {
        let (_d, reg) = registry(
            "cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: gone\n  containerEdits:\n    deviceNodes: [{path: /dev/strata-no-such-node}]\n- name: given\n  containerEdits:\n    deviceNodes: [{path: /dev/strata-no-such-node, type: c, major: 10, minor: 200}]\n",
        );
        let e = reg.edits(&["v.com/c=gone".into()]).unwrap_err().to_string();
        assert!(e.contains("v.yaml") && e.contains("v.com/c=gone"), "{e}");
        let ok = reg.edits(&["v.com/c=given".into()]).unwrap();
        assert_eq!(ok.device_nodes[0].access, "rwm");
    }

    #[test]
    fn hooks_are_refused_naming_the_spec_and_device() {
        let (_d, reg) = registry(
            "cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: h\n  containerEdits:\n    hooks: [{hookName: createContainer, path: /bin/true}]\n",
        );
        let e = reg.edits(&["v.com/c=h".into()]).unwrap_err().to_string();
        assert!(
            e.contains("v.yaml") && e.contains("v.com/c=h") && e.contains("hook"),
            "{e}"
        );
    }

    #[test]
    fn edits_differ_in_key_when_the_spec_changes() {
        let (_d, a) = registry(
            "cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: x\n  containerEdits: {env: [X=1]}\n",
        );
        let (_e, b) = registry(
            "cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: x\n  containerEdits: {env: [X=2]}\n",
        );
        let names = ["v.com/c=x".to_string()];
        assert_ne!(
            a.edits(&names).unwrap().key_text(),
            b.edits(&names).unwrap().key_text()
        );
    }
}
