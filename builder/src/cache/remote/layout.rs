//! `type=local`: the artifact in an OCI image layout directory, as
//! `skopeo`/`umoci` read it (`oci-layout`, `index.json`, `blobs/sha256/`).

use std::io::Write;
use std::path::Path;

use serde::Deserialize;
use strata_store::{Digest, Store};

use super::{Artifact, CONFIG_MEDIA_TYPE, CacheConfig, RemoteError};

/// Writes `artifact` into `dir` (created if need be); `index.json` then
/// names it alone, so the directory always holds the latest export.
pub fn write_layout(store: &Store, artifact: &Artifact, dir: &Path) -> Result<(), RemoteError> {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).map_err(RemoteError::io(&blobs))?;
    for (digest, _) in &artifact.blobs {
        let dest = blobs.join(digest.hex());
        if dest.exists() {
            continue;
        }
        let mut from = store.open_blob(digest)?;
        let tmp = blobs.join(format!(".{}.tmp", digest.hex()));
        let mut to = std::fs::File::create(&tmp).map_err(RemoteError::io(&tmp))?;
        std::io::copy(&mut from, &mut to).map_err(RemoteError::io(&tmp))?;
        std::fs::rename(&tmp, &dest).map_err(RemoteError::io(&dest))?;
    }
    let manifest = blobs.join(artifact.manifest_digest.hex());
    std::fs::write(&manifest, &artifact.manifest).map_err(RemoteError::io(&manifest))?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": CONFIG_MEDIA_TYPE,
            "digest": artifact.manifest_digest.to_string(),
            "size": artifact.manifest.len(),
        }],
    });
    write_atomic(dir, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    write_atomic(dir, "index.json", index.to_string().as_bytes())
}

fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), RemoteError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let dest = dir.join(name);
    let mut f = std::fs::File::create(&tmp).map_err(RemoteError::io(&tmp))?;
    f.write_all(bytes).map_err(RemoteError::io(&tmp))?;
    std::fs::rename(&tmp, &dest).map_err(RemoteError::io(&dest))
}

#[derive(Deserialize)]
struct Index {
    manifests: Vec<Desc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Desc {
    digest: Digest,
    #[serde(default)]
    artifact_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    config: ConfigDesc,
    #[serde(default)]
    layers: Vec<Desc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigDesc {
    media_type: String,
    digest: Digest,
}

/// Reads the cache artifact of layout `dir`: its blobs are copied into the
/// store (each checked against its digest) and its records returned.
pub fn read_layout(store: &Store, dir: &Path) -> Result<CacheConfig, RemoteError> {
    let origin = dir.display().to_string();
    let read = |p: &Path| std::fs::read(p).map_err(RemoteError::io(p));
    let index: Index = serde_json::from_slice(&read(&dir.join("index.json"))?)
        .map_err(|e| RemoteError::not_a_cache(&origin, format!("index.json: {e}")))?;
    let entry = index
        .manifests
        .iter()
        .find(|m| m.artifact_type.as_deref() == Some(CONFIG_MEDIA_TYPE))
        .or(index.manifests.first())
        .ok_or_else(|| RemoteError::not_a_cache(&origin, "index.json lists no manifest"))?;
    let blob = |d: &Digest| dir.join("blobs").join("sha256").join(d.hex());
    let manifest_bytes = read(&blob(&entry.digest))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| RemoteError::not_a_cache(&origin, format!("manifest: {e}")))?;
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(RemoteError::not_a_cache(
            &origin,
            format!("its config is {}", manifest.config.media_type),
        ));
    }
    for digest in
        std::iter::once(&manifest.config.digest).chain(manifest.layers.iter().map(|l| &l.digest))
    {
        if store.has_blob(digest) {
            continue;
        }
        let path = blob(digest);
        let mut from = std::fs::File::open(&path).map_err(RemoteError::io(&path))?;
        let mut to = store.blob_writer()?;
        std::io::copy(&mut from, &mut to).map_err(RemoteError::io(&path))?;
        to.commit(Some(digest))?;
    }
    CacheConfig::parse(&origin, &store.read_blob(&manifest.config.digest)?)
}
