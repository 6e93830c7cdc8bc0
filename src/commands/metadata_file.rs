//! `build --metadata-file FILE`: what the build made, as buildx writes it
//! (`containerimage.digest`, `containerimage.config.digest`, `image.name`),
//! plus strata's own counts under `strata.cache` (steps run and steps
//! reused). Written through a temporary file and a rename, so a reader
//! never sees half of it.

use std::path::Path;

use miette::{Result, miette};
use serde_json::{Map, Value, json};
use strata_store::ImageRef;

/// What one build (or a multi-platform build's index) produced.
pub struct Made<'a> {
    pub digest: &'a strata_store::Digest,
    /// None for a multi-platform index (it has no config).
    pub config_digest: Option<&'a strata_store::Digest>,
    pub tags: &'a [String],
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
