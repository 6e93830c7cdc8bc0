//! Multi-platform images in the store: a name can point at an OCI image
//! index whose entries are one image per platform (what `import --platform`
//! and `build --platform A,B` make, and what `pull --all-platforms` keeps).
//! Anything that wants one image picks the entry for a platform; the
//! index's own blob is canonical JSON, so equal entries give equal digests.

use oci_spec::image::{Descriptor, MediaType};
use serde::{Deserialize, Serialize};
use strata_platform::Platform;

use crate::annotations::Annotations;
use crate::canonical;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::image::Image;
use crate::index::{self, ref_name};
use crate::media;
use crate::reference::ImageRef;
use crate::store::Store;

/// Indexes inside indexes are followed this deep, no deeper.
const MAX_NESTING: usize = 4;

/// One entry of a stored index.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    pub platform: Platform,
    pub image: Image,
    /// The annotations of the index's descriptor of this image (buildx's
    /// `manifest-descriptor`), not of the manifest itself.
    pub annotations: Annotations,
}

/// An image index in the store and the image of each of its platforms.
#[derive(Debug, Clone)]
pub struct StoredIndex {
    pub digest: Digest,
    pub media_type: String,
    pub images: Vec<PlatformImage>,
    /// The index's own annotations (buildx's `index`).
    pub annotations: Annotations,
}

impl StoredIndex {
    pub fn platforms(&self) -> Vec<Platform> {
        self.images.iter().map(|p| p.platform.clone()).collect()
    }

    /// The entry for `platform`, or an error listing what the index has.
    pub fn select(&self, platform: &Platform) -> Result<&Image, StoreError> {
        self.images
            .iter()
            .find(|p| platform.matches(&p.platform))
            .map(|p| &p.image)
            .ok_or_else(|| StoreError::NoMatchingPlatform {
                image: self.digest.to_string(),
                platform: platform.to_string(),
                available: list(&self.platforms()),
            })
    }
}

/// What a name or digest in the store points at.
#[derive(Debug, Clone)]
pub enum Stored {
    Image(Box<Image>),
    Index(StoredIndex),
}

fn list(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(Platform::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexJson {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<EntryJson>,
    #[serde(default)]
    annotations: Annotations,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryJson {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Annotations::is_empty")]
    annotations: Annotations,
}

impl Image {
    /// The platform the image's config says it is for.
    pub fn platform(&self) -> Platform {
        Platform::new(
            &self.config.os().to_string(),
            &self.config.architecture().to_string(),
            self.config.variant().as_deref(),
        )
    }
}

/// The `mediaType` a manifest or index blob declares.
pub(crate) fn declared_media_type(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()?
        .get("mediaType")?
        .as_str()
        .map(str::to_owned)
}

impl Store {
    /// Reads what `digest` is: an image, or an index and its images.
    pub fn stored(&self, digest: &Digest) -> Result<Stored, StoreError> {
        self.stored_at(digest, 0)
    }

    fn stored_at(&self, digest: &Digest, depth: usize) -> Result<Stored, StoreError> {
        let bytes = self.read_blob(digest)?;
        let is_index = declared_media_type(&bytes)
            .is_some_and(|m| media::is_index(&MediaType::from(m.as_str())));
        if !is_index {
            return self.image(digest).map(|i| Stored::Image(Box::new(i)));
        }
        if depth >= MAX_NESTING {
            return Err(StoreError::malformed(
                format!("index {digest}"),
                "indexes nested too deeply",
            ));
        }
        let parsed: IndexJson = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::malformed(format!("index {digest}"), e))?;
        let mut images = Vec::new();
        for entry in parsed.manifests {
            let d: Digest = entry.digest.parse()?;
            match self.stored_at(&d, depth + 1)? {
                Stored::Image(image) => images.push(PlatformImage {
                    platform: entry.platform.unwrap_or_else(|| image.platform()),
                    image: *image,
                    annotations: entry.annotations,
                }),
                Stored::Index(nested) => images.extend(nested.images),
            }
        }
        Ok(Stored::Index(StoredIndex {
            digest: *digest,
            media_type: parsed
                .media_type
                .unwrap_or_else(|| MediaType::ImageIndex.to_string()),
            images,
            annotations: parsed.annotations,
        }))
    }

    /// The image for `platform` that `digest` names: the index's entry, or
    /// the image itself if it is for that platform.
    pub fn image_for(&self, digest: &Digest, platform: &Platform) -> Result<Image, StoreError> {
        match self.stored(digest)? {
            Stored::Index(index) => index.select(platform).cloned(),
            Stored::Image(image) if platform.matches(&image.platform()) => Ok(*image),
            Stored::Image(image) => Err(StoreError::NoMatchingPlatform {
                image: digest.to_string(),
                platform: platform.to_string(),
                available: image.platform().to_string(),
            }),
        }
    }

    /// The image `name` names for `platform`: an index's entry for it, or a
    /// single image whose config says that platform; None otherwise, so a
    /// pull may fetch the right one.
    pub fn resolve_for(
        &self,
        name: &ImageRef,
        platform: &Platform,
    ) -> Result<Option<Image>, StoreError> {
        let top = match name.digest() {
            Some(d) => self.has_blob(d).then_some(*d),
            None => {
                let full = name.to_string();
                self.names()?
                    .into_iter()
                    .rev()
                    .find(|n| n.name.to_string() == full)
                    .map(|n| n.manifest_digest)
            }
        };
        let Some(top) = top else {
            return Ok(None);
        };
        Ok(match self.stored(&top)? {
            Stored::Image(image) => platform.matches(&image.platform()).then_some(*image),
            Stored::Index(index) => index.select(platform).ok().cloned(),
        })
    }

    /// The digest a user's words name (a name, a digest, or a unique id
    /// prefix), without following an index.
    pub fn resolve_top(&self, s: &str) -> Result<Option<Digest>, StoreError> {
        if let Ok(d) = s.parse::<Digest>() {
            return Ok(self.has_blob(&d).then_some(d));
        }
        if let Ok(name) = ImageRef::parse(s)
            && name.digest().is_none()
        {
            let full = name.to_string();
            if let Some(n) = self
                .names()?
                .into_iter()
                .rev()
                .find(|n| n.name.to_string() == full)
            {
                return Ok(Some(n.manifest_digest));
            }
        }
        // An index's id in `images` is its own digest: a prefix of it
        // names the index, whatever platforms it has.
        let prefix = s.strip_prefix("sha256:").unwrap_or(s);
        if prefix.len() >= 4 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut tops: Vec<Digest> = self
                .names()?
                .into_iter()
                .map(|n| n.manifest_digest)
                .filter(|d| d.hex().starts_with(prefix))
                .collect();
            tops.dedup();
            if let [one] = tops.as_slice()
                && matches!(self.stored(one), Ok(Stored::Index(_)))
            {
                return Ok(Some(*one));
            }
        }
        Ok(self.resolve_str(s)?.map(|img| img.manifest_digest))
    }

    /// Writes an OCI image index over `images` (in that order, each entry
    /// with its descriptor annotations), carrying `annotations` itself;
    /// returns its digest.
    pub fn write_platform_index(
        &self,
        images: &[PlatformImage],
        annotations: &Annotations,
    ) -> Result<Digest, StoreError> {
        let mut entries = Vec::new();
        for p in images {
            let bytes = self.read_blob(&p.image.manifest_digest)?;
            entries.push(EntryJson {
                media_type: declared_media_type(&bytes)
                    .unwrap_or_else(|| MediaType::ImageManifest.to_string()),
                digest: p.image.manifest_digest.to_string(),
                size: bytes.len() as u64,
                platform: Some(p.platform.clone()),
                annotations: p.annotations.clone(),
            });
        }
        let mut index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MediaType::ImageIndex.to_string(),
            "manifests": entries,
        });
        if !annotations.is_empty() {
            index["annotations"] = serde_json::to_value(annotations)
                .map_err(|e| StoreError::malformed("index annotations", e))?;
        }
        self.write_blob(&canonical::to_vec(&index)?)
    }

    /// Adds the image `manifest` as `platform`'s entry of the index `name`
    /// names, replacing that platform's old entry. A name that pointed at a
    /// single image of another platform becomes an index of both; one of
    /// the same platform is replaced. Returns what `name` points at now.
    pub fn join_index(
        &self,
        name: &ImageRef,
        manifest: &Digest,
        platform: &Platform,
    ) -> Result<Digest, StoreError> {
        let image = self.image(manifest)?;
        let full = name.to_string();
        let ours = |d: &Descriptor| ref_name(d) == Some(full.as_str());
        index::update(self, |entries| {
            // The index keeps its annotations, and the name's entry its
            // own, while a platform joins.
            let (mut images, index_annotations, entry_annotations) =
                match entries.iter().rev().find(|d| ours(d)) {
                    Some(d) => {
                        let entry = Annotations::of_descriptor(d);
                        match self.stored(&Digest::from_oci(d.digest())?)? {
                            Stored::Index(index) => (index.images, index.annotations, entry),
                            Stored::Image(image) => (
                                vec![PlatformImage {
                                    platform: image.platform(),
                                    image: *image,
                                    annotations: Annotations::new(),
                                }],
                                Annotations::new(),
                                entry,
                            ),
                        }
                    }
                    None => (Vec::new(), Annotations::new(), Annotations::new()),
                };
            // The same image again (a single image's platform is only what
            // its config says, which an index entry may have overruled)
            // replaces itself rather than joining as a second platform.
            images.retain(|p| {
                p.platform.normalized() != platform.normalized()
                    && p.image.manifest_digest != *manifest
            });
            images.push(PlatformImage {
                platform: platform.clone(),
                image,
                annotations: Annotations::new(),
            });
            let (digest, media_type) = if images.len() == 1 {
                (*manifest, MediaType::ImageManifest)
            } else {
                (
                    self.write_platform_index(&images, &index_annotations)?,
                    MediaType::ImageIndex,
                )
            };
            let size = self.read_blob(&digest)?.len() as u64;
            let mut desc = Descriptor::new(media_type, size, digest.to_oci());
            desc.set_annotations(entry_annotations.for_descriptor(Some(&full)));
            entries.retain(|d| !ours(d));
            entries.push(desc);
            Ok(digest)
        })
    }
}
