//! index.json: the store's names. Each entry is a manifest descriptor whose
//! `org.opencontainers.image.ref.name` annotation is the full normalized
//! name, so `skopeo copy oci:ROOT:NAME` finds it. Every change is a
//! read-modify-write under index.lock, so concurrent writers lose nothing.

use std::fs;

use oci_spec::image::{Descriptor, ImageIndex, MediaType};
use serde::{Deserialize, Serialize};

use crate::annotations::Annotations;
use crate::atomic;
use crate::canonical;
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::reference::{ImageRef, ReferenceError};
use crate::store::Store;

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// What we write: oci-spec's ImageIndex has no canonical serialization.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<MediaType>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

pub(crate) fn read(store: &Store) -> Result<Vec<Descriptor>, StoreError> {
    let path = store.index_path();
    let bytes = fs::read(&path).ctx(|| format!("read {}", path.display()))?;
    let index: ImageIndex = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::malformed(path.display().to_string(), e))?;
    Ok(index.manifests().clone())
}

pub(crate) fn write(store: &Store, manifests: &[Descriptor]) -> Result<(), StoreError> {
    let file = IndexFile {
        schema_version: 2,
        media_type: Some(MediaType::ImageIndex),
        manifests: manifests.to_vec(),
    };
    atomic::write_file(
        &store.tmp_dir(),
        &store.index_path(),
        &canonical::to_vec(&file)?,
    )
}

/// Runs `f` on the current entries under the index lock and writes back.
pub(crate) fn update<T>(
    store: &Store,
    f: impl FnOnce(&mut Vec<Descriptor>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let _guard = store.index_lock()?;
    let mut manifests = read(store)?;
    let out = f(&mut manifests)?;
    write(store, &manifests)?;
    Ok(out)
}

pub(crate) fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations().as_ref()?.get(REF_NAME).map(String::as_str)
}

/// One named image in the store.
#[derive(Debug, Clone)]
pub struct NamedImage {
    pub name: ImageRef,
    pub manifest_digest: Digest,
    pub manifest_size: u64,
    /// The registry index a one-platform pull reached the manifest
    /// through, which knows the image by its digest too.
    pub pulled_through: Option<Digest>,
}

impl Store {
    /// Every name in index.json (entries without a parseable name skipped).
    pub fn names(&self) -> Result<Vec<NamedImage>, StoreError> {
        let mut out = Vec::new();
        for d in read(self)? {
            let (Some(name), Ok(digest)) = (ref_name(&d), Digest::from_oci(d.digest())) else {
                continue;
            };
            if let Ok(name) = ImageRef::parse(name) {
                out.push(NamedImage {
                    name,
                    manifest_digest: digest,
                    manifest_size: d.size(),
                    pulled_through: crate::pulled_through::of_entry(&d),
                });
            }
        }
        Ok(out)
    }

    /// Points `name` at a manifest (or index) already in the store,
    /// replacing what it named before. The new entry carries the descriptor
    /// annotations of the latest entry naming the same digest, so a second
    /// name keeps what the first one's descriptor said.
    pub fn tag(&self, name: &ImageRef, manifest: &Digest) -> Result<(), StoreError> {
        self.tag_entry(name, manifest, None)
    }

    /// [`Store::tag`] with the entry's descriptor annotations given (what
    /// buildx's `index-descriptor` annotates; `manifest-descriptor` of a
    /// single-platform build), replacing any the digest had.
    pub fn tag_annotated(
        &self,
        name: &ImageRef,
        manifest: &Digest,
        annotations: &Annotations,
    ) -> Result<(), StoreError> {
        self.tag_entry(name, manifest, Some(annotations))
    }

    /// The descriptor annotations of the latest index.json entry naming
    /// `digest` (none when no entry names it).
    pub fn descriptor_annotations(&self, digest: &Digest) -> Result<Annotations, StoreError> {
        let want = digest.to_oci();
        Ok(read(self)?
            .iter()
            .rev()
            .find(|d| *d.digest() == want)
            .map(Annotations::of_descriptor)
            .unwrap_or_default())
    }

    /// The descriptor annotations of `name`'s own entry, if it has one.
    pub fn name_annotations(&self, name: &ImageRef) -> Result<Option<Annotations>, StoreError> {
        Ok(self.entry_of(name)?.map(|d| Annotations::of_descriptor(&d)))
    }

    fn entry_of(&self, name: &ImageRef) -> Result<Option<Descriptor>, StoreError> {
        let full = name.to_string();
        Ok(read(self)?
            .into_iter()
            .rev()
            .find(|d| ref_name(d) == Some(full.as_str())))
    }

    /// The descriptor annotations of what the user's words `s` name,
    /// pointing at `digest`: a name's own entry's, else the latest entry's
    /// naming `digest` (an id or digest names no one entry).
    pub fn annotations_of(&self, s: &str, digest: &Digest) -> Result<Annotations, StoreError> {
        if let Ok(name) = ImageRef::parse(s)
            && name.digest().is_none()
            && let Some(entry) = self.entry_of(&name)?
            && *entry.digest() == digest.to_oci()
        {
            return Ok(Annotations::of_descriptor(&entry));
        }
        self.descriptor_annotations(digest)
    }

    fn tag_entry(
        &self,
        name: &ImageRef,
        manifest: &Digest,
        annotations: Option<&Annotations>,
    ) -> Result<(), StoreError> {
        if name.digest().is_some() {
            return Err(ReferenceError::new(
                &name.to_string(),
                "a name to give an image cannot contain a digest",
            )
            .into());
        }
        let bytes = self.read_blob(manifest)?;
        // The entry must carry the manifest's own media type (docker
        // schema2 manifests stay docker ones).
        let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("mediaType")?.as_str().map(MediaType::from))
            .unwrap_or(MediaType::ImageManifest);
        let full = name.to_string();
        let mut desc = Descriptor::new(media_type, bytes.len() as u64, manifest.to_oci());
        update(self, |entries| {
            let inherited = match annotations {
                Some(a) => a.clone(),
                None => entries
                    .iter()
                    .rev()
                    .find(|d| *d.digest() == *desc.digest())
                    .map(Annotations::of_descriptor)
                    .unwrap_or_default(),
            };
            desc.set_annotations(inherited.for_descriptor(Some(&full)));
            entries.retain(|d| ref_name(d) != Some(full.as_str()));
            entries.push(desc);
            Ok(())
        })
    }

    /// Removes a name; true if it existed.
    pub fn untag(&self, name: &ImageRef) -> Result<bool, StoreError> {
        let full = name.to_string();
        update(self, |entries| {
            let before = entries.len();
            entries.retain(|d| ref_name(d) != Some(full.as_str()));
            Ok(entries.len() != before)
        })
    }
}
