//! The spec file's model (specs-go/config.go) and its validation
//! (pkg/cdi/spec.go, container-edits.go). Unknown fields are refused, as
//! the cdi package's strict unmarshal refuses them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::name::{parse_qualifier, validate_device_name, validate_vendor_or_class};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Spec {
    #[serde(deserialize_with = "scalar")]
    pub cdi_version: String,
    #[serde(deserialize_with = "scalar")]
    pub kind: String,
    #[serde(default, deserialize_with = "scalar_map")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub devices: Vec<Device>,
    #[serde(default)]
    pub container_edits: ContainerEdits,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Device {
    #[serde(deserialize_with = "scalar")]
    pub name: String,
    #[serde(default, deserialize_with = "scalar_map")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub container_edits: ContainerEdits,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ContainerEdits {
    #[serde(default, deserialize_with = "scalar_vec")]
    pub env: Vec<String>,
    #[serde(default)]
    pub device_nodes: Vec<DeviceNodeSpec>,
    #[serde(default)]
    pub hooks: Vec<Hook>,
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    #[serde(default)]
    pub intel_rdt: Option<serde_json::Value>,
    #[serde(default, rename = "additionalGids")]
    pub additional_gids: Vec<u32>,
    #[serde(default)]
    pub net_devices: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeviceNodeSpec {
    pub path: String,
    #[serde(default)]
    pub host_path: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub major: Option<i64>,
    #[serde(default)]
    pub minor: Option<i64>,
    #[serde(default)]
    pub file_mode: Option<u32>,
    #[serde(default)]
    pub permissions: Option<String>,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MountSpec {
    pub host_path: String,
    pub container_path: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Hook {
    pub hook_name: String,
    pub path: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub timeout: Option<i64>,
}

/// A YAML scalar read into a string field as text: sigs.k8s.io/yaml,
/// which the cdi package reads YAML with, converts to the target's type, so
/// `autoallow: true` (BuildKit's own fixture) is the string "true".
fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    to_text(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn scalar_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    BTreeMap::<String, serde_json::Value>::deserialize(d)?
        .into_iter()
        .map(|(k, v)| Ok((k, to_text(v).map_err(serde::de::Error::custom)?)))
        .collect()
}

fn scalar_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Vec::<serde_json::Value>::deserialize(d)?
        .into_iter()
        .map(|v| to_text(v).map_err(serde::de::Error::custom))
        .collect()
}

fn to_text(v: serde_json::Value) -> Result<String, String> {
    match v {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("expected a string, found {other}")),
    }
}

/// The versions the cdi package knows (specs-go/version.go).
const VERSIONS: &[&str] = &[
    "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0",
];

const HOOK_NAMES: &[&str] = &[
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

impl Spec {
    /// The spec's own checks, in the cdi package's order; the message is
    /// the caller's to prefix with the file.
    pub fn validate(&self) -> Result<(), String> {
        let version = self.cdi_version.trim_start_matches('v');
        if !VERSIONS.contains(&version) {
            return Err(format!("invalid cdiVersion {:?}", self.cdi_version));
        }
        let needed = self.minimum_version();
        if semver_less(version, needed) {
            return Err(format!("the spec version must be at least v{needed}"));
        }
        let (vendor, class) = parse_qualifier(&self.kind)
            .ok_or_else(|| format!("invalid kind {:?}: want vendor/class", self.kind))?;
        validate_vendor_or_class("vendor", vendor)?;
        validate_vendor_or_class("class", class)?;
        for key in self.annotations.keys() {
            validate_annotation_key(key)?;
        }
        self.container_edits.validate()?;
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.devices {
            validate_device_name(&d.name).map_err(|e| format!("device {:?}: {e}", d.name))?;
            for key in d.annotations.keys() {
                validate_annotation_key(key).map_err(|e| format!("device {:?}: {e}", d.name))?;
            }
            d.container_edits
                .validate()
                .map_err(|e| format!("device {:?}: {e}", d.name))?;
            if !seen.insert(d.name.as_str()) {
                return Err(format!("multiple devices named {:?}", d.name));
            }
        }
        if self.devices.is_empty() {
            return Err("no devices".into());
        }
        Ok(())
    }

    /// The earliest version that has every field the spec uses (the parts
    /// of specs-go/version.go's rules that strata's fields reach).
    fn minimum_version(&self) -> &'static str {
        let all_edits = std::iter::once(&self.container_edits)
            .chain(self.devices.iter().map(|d| &d.container_edits));
        let mut needed = "0.3.0";
        let mut need = |v: &'static str| {
            if semver_less(needed, v) {
                needed = v;
            }
        };
        for e in all_edits {
            if !e.net_devices.is_empty() {
                need("1.1.0");
            }
            if !e.additional_gids.is_empty() || e.intel_rdt.is_some() {
                need("0.7.0");
            }
            if e.device_nodes
                .iter()
                .any(|n| n.host_path.as_deref().is_some_and(|h| !h.is_empty()))
            {
                need("0.5.0");
            }
            if e.mounts
                .iter()
                .any(|m| m.kind.as_deref().is_some_and(|k| !k.is_empty()))
            {
                need("0.4.0");
            }
        }
        // A dot in the class is 0.6.0's too (specs-go requiresV060).
        let dotted_class =
            parse_qualifier(&self.kind).is_some_and(|(_, class)| class.contains('.'));
        if dotted_class
            || !self.annotations.is_empty()
            || self.devices.iter().any(|d| !d.annotations.is_empty())
        {
            need("0.6.0");
        }
        if self
            .devices
            .iter()
            .any(|d| !d.name.starts_with(|c: char| c.is_ascii_alphabetic()))
        {
            need("0.5.0");
        }
        needed
    }
}

impl ContainerEdits {
    fn validate(&self) -> Result<(), String> {
        validate_env(&self.env)?;
        for d in &self.device_nodes {
            if d.path.is_empty() {
                return Err("invalid (empty) device path".into());
            }
            if let Some(t) = &d.kind
                && !["", "b", "c", "u", "p"].contains(&t.as_str())
            {
                return Err(format!("device node {:?}: invalid type {t:?}", d.path));
            }
            if let Some(p) = &d.permissions
                && p.chars().any(|c| !"rwm".contains(c))
            {
                return Err(format!(
                    "device node {:?}: invalid permissions {p:?}",
                    d.path
                ));
            }
        }
        for h in &self.hooks {
            if !HOOK_NAMES.contains(&h.hook_name.as_str()) {
                return Err(format!("invalid hook name {:?}", h.hook_name));
            }
            if h.path.is_empty() {
                return Err(format!("invalid hook {:?} with empty path", h.hook_name));
            }
            validate_env(&h.env).map_err(|e| format!("invalid hook {:?}: {e}", h.hook_name))?;
        }
        for m in &self.mounts {
            if m.host_path.is_empty() {
                return Err("invalid mount, empty host path".into());
            }
            if m.container_path.is_empty() {
                return Err("invalid mount, empty container path".into());
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == ContainerEdits::default()
    }
}

fn validate_env(env: &[String]) -> Result<(), String> {
    match env.iter().find(|v| v.find('=').is_none_or(|i| i == 0)) {
        Some(v) => Err(format!("invalid environment variable {v:?}")),
        None => Ok(()),
    }
}

/// Kubernetes' qualified-name rule for annotation keys: an optional DNS
/// prefix and `/`, then at most 63 of `[A-Za-z0-9._-]`, alphanumeric at
/// both ends.
fn validate_annotation_key(key: &str) -> Result<(), String> {
    let name = key.rsplit_once('/').map_or(
        key,
        |(prefix, name)| {
            if prefix.is_empty() { "" } else { name }
        },
    );
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid annotation key {key:?}"))
    }
}

fn semver_less(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a) < parts(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> Result<(), String> {
        let s: Spec = serde_json::from_value(json).map_err(|e| e.to_string())?;
        s.validate()
    }

    #[test]
    fn a_minimal_spec_is_valid() {
        let ok = spec(serde_json::json!({
            "cdiVersion": "0.6.0", "kind": "vendor1.com/device",
            "devices": [{"name": "foo", "containerEdits": {"env": ["FOO=injected"]}}]
        }));
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn version_kind_devices_and_edits_are_checked() {
        let base = |patch: serde_json::Value| {
            let mut v = serde_json::json!({
                "cdiVersion": "0.6.0", "kind": "vendor1.com/device",
                "devices": [{"name": "foo"}]
            });
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            spec(v).unwrap_err()
        };
        assert!(base(serde_json::json!({"cdiVersion": "9.9.9"})).contains("cdiVersion"));
        assert!(base(serde_json::json!({"kind": "novendor"})).contains("kind"));
        assert!(base(serde_json::json!({"devices": []})).contains("no devices"));
        assert!(
            base(serde_json::json!({"devices": [{"name": "a"}, {"name": "a"}]}))
                .contains("multiple")
        );
        assert!(
            base(serde_json::json!({"containerEdits": {"env": ["NOEQUALS"]}}))
                .contains("environment")
        );
        assert!(
            base(serde_json::json!({"containerEdits": {"hooks": [{"hookName": "later", "path": "/x"}]}}))
                .contains("hook name")
        );
        assert!(
            base(serde_json::json!({"cdiVersion": "0.5.0", "annotations": {"a": "b"}}))
                .contains("at least v0.6.0")
        );
        assert!(
            base(serde_json::json!({"cdiVersion": "0.5.0", "kind": "v.com/c.d"}))
                .contains("at least v0.6.0")
        );
        assert!(
            base(serde_json::json!({"cdiVersion": "0.3.0", "devices": [{"name": "0"}]}))
                .contains("at least v0.5.0")
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = spec(serde_json::json!({
            "cdiVersion": "0.6.0", "kind": "v.com/c", "devices": [{"name": "a", "extra": 1}]
        }))
        .unwrap_err();
        assert!(e.contains("extra"), "{e}");
    }
}
