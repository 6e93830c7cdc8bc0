//! Serde types of the image config JSON (Docker image spec v1.2 / OCI).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{}`: the value of Go's `map[string]struct{}` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Durations in nanoseconds, as Docker stores them; 0 = inherit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_interval: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Empty>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

impl Default for RootFs {
    fn default() -> Self {
        Self {
            kind: "layers".to_string(),
            diff_ids: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: ContainerConfig,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
}

impl ImageConfig {
    /// The config of `FROM scratch` on this machine's platform: WorkingDir
    /// `/`, as BuildKit's emptyImage writes it (its default PATH comes with
    /// every base that lacks one, see `StageConfig::from_base`).
    pub fn scratch() -> Self {
        Self {
            created: None,
            author: None,
            architecture: go_arch().to_string(),
            os: "linux".to_string(),
            variant: None,
            config: ContainerConfig {
                working_dir: Some("/".to_string()),
                ..ContainerConfig::default()
            },
            rootfs: RootFs::default(),
            history: Vec::new(),
        }
    }

    /// Canonical JSON: struct fields in a fixed order, maps sorted.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain structs, strings and BTreeMaps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The platform architecture in Go's (and OCI's) spelling.
pub fn go_arch() -> &'static str {
    strata_platform::Arch::host().oci
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_field_names_and_sorted_maps() {
        let mut c = ImageConfig::scratch();
        c.config.exposed_ports = Some(BTreeMap::from([
            ("8080/tcp".to_string(), Empty {}),
            ("53/udp".to_string(), Empty {}),
        ]));
        c.config.working_dir = Some("/app".into());
        c.config.args_escaped = Some(true);
        let text = String::from_utf8(c.to_json()).unwrap();
        assert!(
            text.contains(r#""ExposedPorts":{"53/udp":{},"8080/tcp":{}}"#),
            "{text}"
        );
        assert!(text.contains(r#""WorkingDir":"/app""#));
        assert!(text.contains(r#""ArgsEscaped":true"#));
        assert!(text.contains(r#""rootfs":{"type":"layers","diff_ids":[]}"#));
        let back: ImageConfig = serde_json::from_slice(&c.to_json()).unwrap();
        assert_eq!(back, c);
    }
}
