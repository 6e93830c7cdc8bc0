//! Writing a committed image so the base image's docker extensions of the
//! config (Healthcheck, Shell, OnBuild, ArgsEscaped: fields oci-spec's
//! type drops) survive, as docker commit keeps them: the new config is
//! oci-spec's, plus each field of the base's raw `config` object it lacks.

use oci_spec::image::{Descriptor, ImageConfiguration};
use serde_json::{Map, Value, json};
use strata_store::{Digest, Store};

use crate::error::ContainerError;

/// The fields of `config` oci-spec's Config has.
const OCI_FIELDS: &[&str] = &[
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
];

pub(crate) fn write_image(
    store: &Store,
    base_config: &Digest,
    config: &ImageConfiguration,
    layers: &[Descriptor],
) -> Result<Digest, ContainerError> {
    let bad = |e: serde_json::Error| ContainerError::Commit(format!("image config: {e}"));
    let base: Value = serde_json::from_slice(&store.read_blob(base_config)?).map_err(bad)?;
    let mut value = serde_json::to_value(config).map_err(bad)?;
    if let Some(extra) = base.get("config").and_then(Value::as_object) {
        let obj = value
            .as_object_mut()
            .ok_or_else(|| ContainerError::Commit("image config is not an object".into()))?;
        let cfg = obj
            .entry("config")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(cfg) = cfg.as_object_mut() {
            // A field oci-spec models is the new config's to keep or drop
            // (`-c ENTRYPOINT` drops Cmd); the others come from the base.
            for (k, v) in extra
                .iter()
                .filter(|(k, _)| !OCI_FIELDS.contains(&k.as_str()))
            {
                cfg.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    // serde_json's map is sorted: the text is canonical, as a build's.
    let config_bytes = serde_json::to_vec(&value).map_err(bad)?;
    let config_digest = store.write_blob(&config_bytes)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest.to_string(),
            "size": config_bytes.len(),
        },
        "layers": layers,
    });
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(bad)?;
    Ok(store.write_blob(&manifest_bytes)?)
}
