//! `build --metadata-file FILE`: what the build made, as buildx writes it
//! (`containerimage.digest`, `containerimage.config.digest`,
//! `containerimage.descriptor`: the descriptor of what the name points at,
//! with the `index-descriptor` annotations of a multi-platform build or
//! the `manifest-descriptor` ones of a single-platform one, `image.name`),
//! plus strata's own counts under `strata.cache` (steps run and steps
//! reused). Written through a temporary file and a rename, so a reader
//! never sees half of it.

use std::path::Path;

use miette::{Result, miette};
use serde_json::{Map, Value, json};
use strata_store::{Annotations, ImageRef, Platform, Store};

/// What one build (or a multi-platform build's index) produced.
pub struct Made<'a> {
    pub digest: &'a strata_store::Digest,
    /// None for a multi-platform index (it has no config).
    pub config_digest: Option<&'a strata_store::Digest>,
    pub tags: &'a [String],
    /// The descriptor of the image (or index) that was made.
    pub descriptor: Value,
    pub steps_run: usize,
    pub steps_cached: usize,
}

pub fn write(file: &Path, made: &Made<'_>) -> Result<()> {
    let mut out = Map::new();
    out.insert(
        "containerimage.digest".into(),
        json!(made.digest.to_string()),
    );
    if let Some(c) = made.config_digest {
        out.insert("containerimage.config.digest".into(), json!(c.to_string()));
    }
    out.insert("containerimage.descriptor".into(), made.descriptor.clone());
    if !made.tags.is_empty() {
        // buildx names them fully, comma-separated.
        let names: Vec<String> = made
            .tags
            .iter()
            .map(|t| ImageRef::parse(t).map_or_else(|_| t.clone(), |r| r.to_string()))
            .collect();
        out.insert("image.name".into(), json!(names.join(",")));
    }
    out.insert(
        "strata.cache".into(),
        json!({ "steps_run": made.steps_run, "steps_cached": made.steps_cached }),
    );
    let text = serde_json::to_string_pretty(&Value::Object(out))
        .map_err(|e| miette!("--metadata-file: {e}"))?;
    let tmp = file.with_file_name(format!(
        ".{}.tmp",
        file.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&tmp, text + "\n").map_err(|e| miette!("writing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, file).map_err(|e| miette!("writing {}: {e}", file.display()))
}

/// The descriptor buildx puts under `containerimage.descriptor`: media type,
/// digest and size of the blob, its annotations when it has any, and the
/// platform of a single-platform build's manifest.
pub fn descriptor(
    store: &Store,
    digest: &strata_store::Digest,
    annotations: &Annotations,
    platform: Option<&Platform>,
) -> Result<Value> {
    let bytes = store
        .read_blob(digest)
        .map_err(|e| miette!("--metadata-file: {e}"))?;
    let media_type = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("mediaType")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut d = json!({
        "mediaType": media_type,
        "digest": digest.to_string(),
        "size": bytes.len(),
    });
    if !annotations.is_empty() {
        d["annotations"] = json!(annotations);
    }
    if let Some(p) = platform {
        d["platform"] = json!(p);
    }
    Ok(d)
}
