//! Manifests on the wire: the four kinds we accept, fetching with digest
//! checks, pushing, and picking one platform out of an index.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use ureq::http::{Method, StatusCode, header};

use super::client::{RegistryClient, pull_scope, push_scope};
use super::error::{RegistryError, Result};
use super::platform::Platform;
use super::reference::Target;
use super::session::Req;
use crate::digest::Digest;

/// Manifests are small documents; anything bigger is not one.
const MANIFEST_LIMIT: u64 = 4 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestKind {
    OciManifest,
    OciIndex,
    DockerManifest,
    DockerManifestList,
}

impl ManifestKind {
    pub const ALL: [ManifestKind; 4] = [
        ManifestKind::OciManifest,
        ManifestKind::OciIndex,
        ManifestKind::DockerManifest,
        ManifestKind::DockerManifestList,
    ];

    pub fn media_type(self) -> &'static str {
        match self {
            ManifestKind::OciManifest => "application/vnd.oci.image.manifest.v1+json",
            ManifestKind::OciIndex => "application/vnd.oci.image.index.v1+json",
            ManifestKind::DockerManifest => "application/vnd.docker.distribution.manifest.v2+json",
            ManifestKind::DockerManifestList => {
                "application/vnd.docker.distribution.manifest.list.v2+json"
            }
        }
    }

    pub fn is_index(self) -> bool {
        matches!(
            self,
            ManifestKind::OciIndex | ManifestKind::DockerManifestList
        )
    }

    fn accept_header() -> String {
        ManifestKind::ALL.map(ManifestKind::media_type).join(", ")
    }
}

impl FromStr for ManifestKind {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self> {
        let bare = s.split(';').next().unwrap_or(s).trim();
        ManifestKind::ALL
            .into_iter()
            .find(|k| k.media_type() == bare)
            .ok_or_else(|| RegistryError::UnsupportedMediaType(s.to_owned()))
    }
}

impl fmt::Display for ManifestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media_type())
    }
}

/// A content descriptor as manifests and indexes carry them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
    #[serde(default)]
    pub annotations: crate::Annotations,
}

/// An index entry's `platform` (its extra fields, `os.version` and
/// `os.features`, are not used to pick an entry).
pub type DescriptorPlatform = Platform;

/// The parts of an image manifest the transfer needs.
#[derive(Clone, Debug, Deserialize)]
pub struct ImageManifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

#[derive(Clone, Debug, Deserialize)]
struct IndexDoc {
    manifests: Vec<Descriptor>,
    #[serde(default)]
    annotations: crate::Annotations,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaTypeField {
    media_type: Option<String>,
}

/// A manifest exactly as the registry sent it: its digest is over these
/// bytes, so they are kept, never re-serialized.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    pub kind: ManifestKind,
    pub digest: Digest,
    pub bytes: Vec<u8>,
}

impl FetchedManifest {
    pub fn image(&self, host: &str) -> Result<ImageManifest> {
        serde_json::from_slice(&self.bytes).map_err(|e| malformed(host, "image manifest", e))
    }

    /// The annotations of an image index on itself.
    pub fn index_annotations(&self, host: &str) -> Result<crate::Annotations> {
        serde_json::from_slice::<IndexDoc>(&self.bytes)
            .map(|d| d.annotations)
            .map_err(|e| malformed(host, "image index", e))
    }

    pub fn index_entries(&self, host: &str) -> Result<Vec<Descriptor>> {
        serde_json::from_slice::<IndexDoc>(&self.bytes)
            .map(|d| d.manifests)
            .map_err(|e| malformed(host, "image index", e))
    }
}

fn malformed(host: &str, what: &str, e: impl fmt::Display) -> RegistryError {
    RegistryError::Malformed {
        host: host.to_owned(),
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

/// An image resolved down to one platform's manifest.
#[derive(Clone, Debug)]
pub struct ResolvedImage {
    /// The index it was picked from, if the reference named one.
    pub index: Option<FetchedManifest>,
    /// The platform the index's entry says, if it came from an index.
    pub platform: Option<Platform>,
    pub manifest: FetchedManifest,
    pub image: ImageManifest,
}

impl RegistryClient {
    /// HEAD: the digest, kind and size a tag or digest points at, or None.
    pub fn resolve(
        &self,
        repo: &str,
        target: &Target,
    ) -> Result<Option<(Digest, ManifestKind, u64)>> {
        let req = Req::new(
            Method::HEAD,
            self.session.url(&format!("{repo}/manifests/{target}")),
        )
        .header(header::ACCEPT, ManifestKind::accept_header());
        let resp = self.session.send(&req, &[pull_scope(repo)])?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            _ => return Err(self.session.status_error(&req, resp)),
        }
        let get = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let digest = match (get("docker-content-digest"), target) {
            (Some(d), _) => d.parse()?,
            (None, Target::Digest(d)) => *d,
            // Without the header the digest needs the bytes.
            (None, Target::Tag(_)) => {
                let m = self.get_manifest(repo, target)?;
                return Ok(Some((m.digest, m.kind, m.bytes.len() as u64)));
            }
        };
        let kind = get("content-type")
            .ok_or_else(|| RegistryError::UnsupportedMediaType(String::new()))?
            .parse()?;
        let size = get("content-length")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(Some((digest, kind, size)))
    }

    /// GET a manifest; its digest is computed from the bytes, and must
    /// match when the target was a digest.
    pub fn get_manifest(&self, repo: &str, target: &Target) -> Result<FetchedManifest> {
        let req = Req::new(
            Method::GET,
            self.session.url(&format!("{repo}/manifests/{target}")),
        )
        .header(header::ACCEPT, ManifestKind::accept_header());
        let mut resp = self.session.send(&req, &[pull_scope(repo)])?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => {
                return Err(RegistryError::NotFound {
                    host: self.session.host().to_owned(),
                    what: format!("manifest {repo}:{target}"),
                });
            }
            _ => return Err(self.session.status_error(&req, resp)),
        }
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MANIFEST_LIMIT)
            .read_to_vec()
            .map_err(|e| malformed(self.session.host(), "manifest", e))?;
        let digest = Digest::of(&bytes);
        if let Target::Digest(want) = target
            && *want != digest
        {
            return Err(RegistryError::DigestMismatch {
                expected: want.to_string(),
                actual: digest.to_string(),
            });
        }
        // Some registries send a generic Content-Type; the document's own
        // mediaType field then decides.
        let kind = match content_type.as_deref().map(str::parse::<ManifestKind>) {
            Some(Ok(k)) => k,
            _ => serde_json::from_slice::<MediaTypeField>(&bytes)
                .ok()
                .and_then(|f| f.media_type)
                .ok_or_else(|| {
                    RegistryError::UnsupportedMediaType(content_type.unwrap_or_default())
                })?
                .parse()?,
        };
        Ok(FetchedManifest {
            kind,
            digest,
            bytes,
        })
    }

    /// Follows an index to the manifest for `platform`.
    pub fn resolve_image(
        &self,
        repo: &str,
        target: &Target,
        platform: &Platform,
    ) -> Result<ResolvedImage> {
        let top = self.get_manifest(repo, target)?;
        let host = self.session.host();
        if !top.kind.is_index() {
            let image = top.image(host)?;
            return Ok(ResolvedImage {
                index: None,
                platform: None,
                manifest: top,
                image,
            });
        }
        let entries = top.index_entries(host)?;
        let chosen = entries
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(p)));
        let Some(chosen) = chosen else {
            let available = entries
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .map(Platform::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(RegistryError::NoMatchingPlatform {
                platform: platform.to_string(),
                available,
            });
        };
        let manifest = self.get_manifest(repo, &Target::Digest(chosen.digest))?;
        if manifest.kind.is_index() {
            return Err(malformed(
                host,
                "image index",
                "an index entry points at another index",
            ));
        }
        let image = manifest.image(host)?;
        Ok(ResolvedImage {
            index: Some(top),
            platform: chosen.platform.clone(),
            manifest,
            image,
        })
    }

    /// PUT a manifest under a tag or its digest; returns its digest.
    pub fn put_manifest(
        &self,
        repo: &str,
        target: &Target,
        kind: ManifestKind,
        bytes: &[u8],
    ) -> Result<Digest> {
        let digest = Digest::of(bytes);
        if let Target::Digest(d) = target
            && *d != digest
        {
            return Err(RegistryError::DigestMismatch {
                expected: d.to_string(),
                actual: digest.to_string(),
            });
        }
        let req = Req::new(
            Method::PUT,
            self.session.url(&format!("{repo}/manifests/{target}")),
        )
        .header(header::CONTENT_TYPE, kind.media_type())
        .body(bytes);
        let resp = self.session.send(&req, &[push_scope(repo)])?;
        if resp.status() != StatusCode::CREATED && resp.status() != StatusCode::OK {
            return Err(self.session.status_error(&req, resp));
        }
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_ignore_parameters() {
        for k in ManifestKind::ALL {
            assert_eq!(k.media_type().parse::<ManifestKind>().ok(), Some(k));
        }
        assert_eq!(
            "application/vnd.oci.image.index.v1+json; charset=utf-8"
                .parse::<ManifestKind>()
                .ok(),
            Some(ManifestKind::OciIndex)
        );
        assert!(
            "application/vnd.docker.distribution.manifest.v1+prettyjws"
                .parse::<ManifestKind>()
                .is_err()
        );
    }
}
