//! OCI image layouts, as a directory (`oci:`) or a tar of one
//! (`oci-archive:`): import one image by its ref.name, export one image and
//! name it.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use strata_platform::Platform;

use oci_spec::image::{Descriptor, ImageIndex, MediaType};
use tempfile::NamedTempFile;

use super::ingest;
use super::tar_index::TarIndex;
use super::tar_out::write_archive;
use crate::annotations::Annotations;
use crate::atomic;
use crate::canonical;
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::image::Image;
use crate::index::ref_name;
use crate::media;
use crate::store::Store;

const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// Read access to the files of a layout.
pub trait Layout {
    fn open_file(&self, rel: &str) -> Result<Option<Box<dyn Read + '_>>, StoreError>;

    fn blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, StoreError> {
        self.open_file(&format!("blobs/sha256/{}", d.hex()))?
            .ok_or_else(|| StoreError::BlobMissing(d.to_string()))
    }

    fn small_blob(&self, d: &Digest) -> Result<Vec<u8>, StoreError> {
        let bytes = ingest::read_small(self.blob(d)?, &format!("blob {d}"))?;
        ingest::check_digest(&bytes, d)?;
        Ok(bytes)
    }
}

pub struct DirLayout {
    pub dir: PathBuf,
}

impl Layout for DirLayout {
    fn open_file(&self, rel: &str) -> Result<Option<Box<dyn Read + '_>>, StoreError> {
        let path = self.dir.join(rel);
        match File::open(&path) {
            Ok(f) => Ok(Some(Box::new(io::BufReader::new(f)))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io {
                context: format!("open {}", path.display()),
                source: e,
            }),
        }
    }
}

impl Layout for TarIndex {
    fn open_file(&self, rel: &str) -> Result<Option<Box<dyn Read + '_>>, StoreError> {
        Ok(self
            .open_member(rel)?
            .map(|r| Box::new(io::BufReader::new(r)) as Box<dyn Read>))
    }
}

fn read_index(layout: &dyn Layout) -> Result<ImageIndex, StoreError> {
    let file = layout
        .open_file("index.json")?
        .ok_or_else(|| StoreError::malformed("OCI layout", "no index.json"))?;
    let bytes = ingest::read_small(file, "index.json")?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::malformed("index.json", e))
}

/// The layout's entry `reference` names (a ref.name, or the `sha256:`
/// digest of an entry; else the only one) and its ref.name.
pub(super) fn top(
    layout: &dyn Layout,
    reference: Option<&str>,
) -> Result<(Descriptor, Option<String>), StoreError> {
    let index = read_index(layout)?;
    let candidates: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| reference.is_none_or(|r| ref_name(d) == Some(r) || d.digest().to_string() == r))
        .collect();
    let desc = match (candidates.as_slice(), reference) {
        ([one], _) => (*one).clone(),
        ([], Some(r)) => return Err(StoreError::ImageNotFound(r.to_owned())),
        ([], None) => return Err(StoreError::ImageNotFound("(empty layout)".to_owned())),
        // Several entries under one name: the last one written wins.
        (_, Some(_)) => (*candidates[candidates.len() - 1]).clone(),
        (_, None) => return Err(StoreError::AmbiguousSource("the layout".to_owned())),
    };
    let name = ref_name(&desc).map(str::to_owned);
    Ok((desc, name))
}

/// The manifest `reference` names (a ref.name, or the `sha256:` digest of
/// an entry, as buildx's `oci-layout://DIR@DIGEST`; else the only one), looking through
/// nested indexes for `platform`'s entry; without a platform, the host's
/// entry or else the first.
fn select(
    layout: &dyn Layout,
    reference: Option<&str>,
    platform: Option<&Platform>,
) -> Result<(Descriptor, Option<String>), StoreError> {
    let (mut desc, name) = top(layout, reference)?;
    // Multi-platform images: pick the host's entry.
    for _ in 0..4 {
        if !media::is_index(desc.media_type()) {
            return Ok((desc, name));
        }
        let d = Digest::from_oci(desc.digest())?;
        let nested: ImageIndex = serde_json::from_slice(&layout.small_blob(&d)?)
            .map_err(|e| StoreError::malformed(format!("index {d}"), e))?;
        let host = Platform::host();
        let want = platform.unwrap_or(&host);
        let platform_of = |m: &Descriptor| {
            m.platform().as_ref().map(|p| {
                Platform::new(
                    &p.os().to_string(),
                    &p.architecture().to_string(),
                    p.variant().as_deref(),
                )
            })
        };
        let found = nested
            .manifests()
            .iter()
            .find(|m| platform_of(m).is_some_and(|p| want.matches(&p)));
        desc = match (found, platform) {
            (Some(m), _) => m.clone(),
            (None, Some(p)) => {
                return Err(StoreError::NoMatchingPlatform {
                    image: d.to_string(),
                    platform: p.to_string(),
                    available: nested
                        .manifests()
                        .iter()
                        .filter_map(platform_of)
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            (None, None) => nested
                .manifests()
                .first()
                .cloned()
                .ok_or_else(|| StoreError::malformed(format!("index {d}"), "no manifests"))?,
        };
    }
    Err(StoreError::malformed(
        "OCI layout",
        "indexes nested too deeply",
    ))
}

/// Imports the selected image; returns its manifest digest and the
/// ref.name the layout gave it.
/// Imports the image `reference` names (`platform`'s of an index): its
/// manifest digest, the layout's name for it, and the annotations of the
/// layout's descriptor of that manifest (the layout's entry, or the
/// index's entry for the platform), which the store's entry keeps.
pub fn import(
    store: &Store,
    layout: &dyn Layout,
    reference: Option<&str>,
    platform: Option<&Platform>,
) -> Result<(Digest, Option<String>, Annotations), StoreError> {
    let (desc, name) = select(layout, reference, platform)?;
    let annotations = Annotations::of_descriptor(&desc);
    Ok((import_manifest(store, layout, &desc)?, name, annotations))
}

/// Imports the image manifest `desc` describes, every blob checked and
/// every layer unpacked; returns its digest.
pub(super) fn import_manifest(
    store: &Store,
    layout: &dyn Layout,
    desc: &Descriptor,
) -> Result<Digest, StoreError> {
    let manifest_digest = Digest::from_oci(desc.digest())?;
    let manifest_bytes = layout.small_blob(&manifest_digest)?;
    check_size(&manifest_digest, desc.size(), manifest_bytes.len() as u64)?;
    let what = format!("manifest {manifest_digest}");
    let manifest = ingest::parse_manifest(&manifest_bytes, &what)?;
    let config_digest = Digest::from_oci(manifest.config().digest())?;
    let config_bytes = layout.small_blob(&config_digest)?;
    check_size(
        &config_digest,
        manifest.config().size(),
        config_bytes.len() as u64,
    )?;
    let diff_ids = ingest::parse_config(
        &config_bytes,
        manifest.layers().len(),
        &format!("config {config_digest}"),
    )?;
    for (l, diff_id) in manifest.layers().iter().zip(&diff_ids) {
        if !media::is_layer(l.media_type()) {
            return Err(StoreError::UnsupportedMediaType(l.media_type().to_string()));
        }
        let d = Digest::from_oci(l.digest())?;
        let got = ingest::layer(
            store,
            layout.blob(&d)?,
            Some(&d),
            diff_id,
            Some(l.media_type().clone()),
        )?;
        check_size(&d, l.size(), got.size())?;
    }
    check_size(&manifest_digest, desc.size(), manifest_bytes.len() as u64)?;
    check_size(
        &config_digest,
        manifest.config().size(),
        config_bytes.len() as u64,
    )?;
    store.write_blob(&config_bytes)?;
    store.write_blob(&manifest_bytes)
}

/// A descriptor whose size disagrees with its (digest-verified) content
/// is itself corrupt: refuse it rather than copy the lie onwards.
fn check_size(d: &Digest, expected: u64, actual: u64) -> Result<(), StoreError> {
    if expected == actual {
        Ok(())
    } else {
        Err(StoreError::SizeMismatch {
            digest: d.to_string(),
            expected,
            actual,
        })
    }
}

fn blobs_of(image: &Image) -> Result<Vec<Digest>, StoreError> {
    let mut out = vec![image.manifest_digest, image.config_digest];
    for l in image.manifest.layers() {
        out.push(Digest::from_oci(l.digest())?);
    }
    Ok(out)
}

/// What an export writes: the top descriptor `index.json` names (an image
/// manifest, or an image index; with its annotations) and every blob
/// under it.
pub(crate) struct Exported {
    top: Descriptor,
    blobs: Vec<Digest>,
    annotations: Annotations,
}

impl Exported {
    pub(crate) fn of_image(
        store: &Store,
        image: &Image,
        annotations: &Annotations,
    ) -> Result<Exported, StoreError> {
        let size = fs::metadata(store.blob_path(&image.manifest_digest))
            .ctx(|| format!("stat manifest {}", image.manifest_digest))?
            .len();
        let media_type = image
            .manifest
            .media_type()
            .clone()
            .unwrap_or(MediaType::ImageManifest);
        Ok(Exported {
            top: Descriptor::new(media_type, size, image.manifest_digest.to_oci()),
            blobs: blobs_of(image)?,
            annotations: annotations.clone(),
        })
    }

    /// The index `index` (a blob in the store) over `images`.
    pub(crate) fn of_index(
        store: &Store,
        index: &Digest,
        images: &[Image],
        annotations: &Annotations,
    ) -> Result<Exported, StoreError> {
        let size = fs::metadata(store.blob_path(index))
            .ctx(|| format!("stat index {index}"))?
            .len();
        let mut blobs = vec![*index];
        for image in images {
            blobs.extend(blobs_of(image)?);
        }
        Ok(Exported {
            top: Descriptor::new(MediaType::ImageIndex, size, index.to_oci()),
            blobs,
            annotations: annotations.clone(),
        })
    }

    fn descriptor(&self, reference: Option<&str>) -> Descriptor {
        let mut desc = self.top.clone();
        desc.set_annotations(self.annotations.for_descriptor(reference));
        desc
    }
}

/// Writes or extends the layout at `dir`; `reference` then names the image
/// (replacing an older entry of that name).
pub(crate) fn write_dir(
    store: &Store,
    export: &Exported,
    dir: &Path,
    reference: Option<&str>,
) -> Result<(), StoreError> {
    let blobs_dir = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs_dir).ctx(|| format!("create {}", blobs_dir.display()))?;
    let layout = dir.join("oci-layout");
    if !layout.exists() {
        atomic::write_file(dir, &layout, OCI_LAYOUT)?;
    }
    for d in &export.blobs {
        let dest = blobs_dir.join(d.hex());
        if dest.exists() {
            continue;
        }
        let mut tmp = NamedTempFile::new_in(&blobs_dir)
            .ctx(|| format!("create temp in {}", blobs_dir.display()))?;
        io::copy(&mut store.open_blob(d)?, &mut tmp).ctx(|| format!("copy blob {d}"))?;
        tmp.as_file().sync_all().ctx(|| "fsync blob".to_owned())?;
        tmp.persist(&dest)
            .map_err(|e| e.error)
            .ctx(|| format!("rename into {}", dest.display()))?;
    }
    let index_path = dir.join("index.json");
    let mut manifests: Vec<Descriptor> = if index_path.exists() {
        read_index(&DirLayout {
            dir: dir.to_path_buf(),
        })?
        .manifests()
        .clone()
    } else {
        Vec::new()
    };
    if let Some(r) = reference {
        manifests.retain(|d| ref_name(d) != Some(r));
    }
    manifests.push(export.descriptor(reference));
    atomic::write_file(dir, &index_path, &index_bytes(manifests)?)
}

fn index_bytes(manifests: Vec<Descriptor>) -> Result<Vec<u8>, StoreError> {
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::ImageIndex.to_string(),
        "manifests": manifests,
    });
    canonical::to_vec(&index)
}

/// Writes a one-image OCI layout as a tar at `file` (replaced whole).
pub(crate) fn write_archive_of(
    store: &Store,
    export: &Exported,
    file: &Path,
    reference: Option<&str>,
) -> Result<(), StoreError> {
    write_archive(file, |w| {
        w.bytes("oci-layout", OCI_LAYOUT)?;
        w.bytes(
            "index.json",
            &index_bytes(vec![export.descriptor(reference)])?,
        )?;
        w.dir("blobs/")?;
        w.dir("blobs/sha256/")?;
        let mut seen = Vec::new();
        for d in &export.blobs {
            if seen.contains(d) {
                continue;
            }
            let f = store.open_blob(d)?;
            let size = f.metadata().ctx(|| format!("stat blob {d}"))?.len();
            w.file(&format!("blobs/sha256/{}", d.hex()), size, f)?;
            seen.push(*d);
        }
        Ok(())
    })
}
