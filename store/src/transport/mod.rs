//! Where images come from and go to: `oci:DIR[:REF]`,
//! `oci-archive:FILE[:REF]`, `docker-archive:FILE[:NAME[:TAG]]`. The
//! registry transport (`docker://`) is added as another variant.

mod docker_archive;
pub(crate) mod ingest;
mod oci_layout;
mod oci_layout_index;
mod tar_index;
mod tar_out;

use crate::platform_index::StoredIndex;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use strata_platform::Platform;

use crate::annotations::Annotations;
use crate::compress::Compression;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::export::CompressedLayer;
use crate::image::Image;
use crate::reference::ImageRef;
use crate::store::Store;

pub(crate) use tar_index::TarIndex;

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportRef {
    /// An OCI image layout directory; REF is its ref.name annotation.
    OciDir {
        dir: PathBuf,
        reference: Option<String>,
    },
    /// The same layout in a tar file.
    OciArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// `docker save` output.
    DockerArchive {
        file: PathBuf,
        reference: Option<ImageRef>,
    },
}

impl TransportRef {
    /// Parses `TRANSPORT:PATH[:REF]`; `None` if `s` names no transport (so
    /// it is an image name). Like skopeo, the path ends at the first colon.
    pub fn parse(s: &str) -> Result<Option<TransportRef>, StoreError> {
        let Some((transport, rest)) = s.split_once(':') else {
            return Ok(None);
        };
        let split = |rest: &str| -> Result<(PathBuf, Option<String>), StoreError> {
            let (path, reference) = match rest.split_once(':') {
                Some((p, r)) => (p, Some(r.to_owned()).filter(|r| !r.is_empty())),
                None => (rest, None),
            };
            if path.is_empty() {
                return Err(StoreError::InvalidTransport(s.to_owned()));
            }
            Ok((PathBuf::from(path), reference))
        };
        Ok(Some(match transport {
            "oci" => {
                let (dir, reference) = split(rest)?;
                TransportRef::OciDir { dir, reference }
            }
            "oci-archive" => {
                let (file, reference) = split(rest)?;
                TransportRef::OciArchive { file, reference }
            }
            "docker-archive" => {
                let (file, reference) = split(rest)?;
                let reference = reference.map(|r| ImageRef::parse(&r)).transpose()?;
                TransportRef::DockerArchive { file, reference }
            }
            _ => return Ok(None),
        }))
    }

    /// The same transport with a reference filled in when none was given.
    pub fn with_default_reference(self, image_name: Option<&ImageRef>) -> TransportRef {
        match self {
            TransportRef::OciDir {
                dir,
                reference: None,
            } => TransportRef::OciDir {
                dir,
                reference: Some(
                    image_name
                        .and_then(ImageRef::tag)
                        .unwrap_or("latest")
                        .to_owned(),
                ),
            },
            TransportRef::OciArchive {
                file,
                reference: None,
            } => TransportRef::OciArchive {
                file,
                reference: Some(
                    image_name
                        .and_then(ImageRef::tag)
                        .unwrap_or("latest")
                        .to_owned(),
                ),
            },
            TransportRef::DockerArchive {
                file,
                reference: None,
            } => TransportRef::DockerArchive {
                file,
                reference: image_name.cloned(),
            },
            other => other,
        }
    }
}

impl FromStr for TransportRef {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransportRef::parse(s)?.ok_or_else(|| StoreError::InvalidTransport(s.to_owned()))
    }
}

impl fmt::Display for TransportRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, p, r) = match self {
            TransportRef::OciDir { dir, reference } => ("oci", dir, reference.clone()),
            TransportRef::OciArchive { file, reference } => {
                ("oci-archive", file, reference.clone())
            }
            TransportRef::DockerArchive { file, reference } => (
                "docker-archive",
                file,
                reference.as_ref().map(ImageRef::familiar),
            ),
        };
        write!(f, "{t}:{}", p.display())?;
        if let Some(r) = r {
            write!(f, ":{r}")?;
        }
        Ok(())
    }
}

impl Store {
    /// Writes `image` (manifest, config, layer blobs) to `dest`, its
    /// uncompressed layers compressed with `compression` (see
    /// [`Store::for_export`]); returns the manifest digest written there.
    /// docker-archive keeps docker save's own form, uncompressed layer
    /// tars, whatever `compression` says.
    pub fn export(
        &self,
        image: &Image,
        dest: &TransportRef,
        compression: Compression,
    ) -> Result<Digest, StoreError> {
        self.export_with(image, dest, compression, &|_| {})
    }

    /// [`Store::export`], telling `report` about each layer it compresses.
    /// An OCI layout's entry gets the descriptor annotations the store's
    /// entry for the image has ([`Store::descriptor_annotations`]).
    pub fn export_with(
        &self,
        image: &Image,
        dest: &TransportRef,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
    ) -> Result<Digest, StoreError> {
        let annotations = self.descriptor_annotations(&image.manifest_digest)?;
        self.export_annotated(image, dest, compression, report, &annotations)
    }

    /// [`Store::export_with`], the layout's entry for the image carrying
    /// `annotations` (buildx's `manifest-descriptor` of a single-platform
    /// build).
    pub fn export_annotated(
        &self,
        image: &Image,
        dest: &TransportRef,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
        annotations: &Annotations,
    ) -> Result<Digest, StoreError> {
        match dest {
            TransportRef::OciDir { dir, reference } => {
                let image = self.for_export_with(image, compression, report)?;
                let export = oci_layout::Exported::of_image(self, &image, annotations)?;
                oci_layout::write_dir(self, &export, dir, reference.as_deref())?;
                Ok(image.manifest_digest)
            }
            TransportRef::OciArchive { file, reference } => {
                let image = self.for_export_with(image, compression, report)?;
                let export = oci_layout::Exported::of_image(self, &image, annotations)?;
                oci_layout::write_archive_of(self, &export, file, reference.as_deref())?;
                Ok(image.manifest_digest)
            }
            TransportRef::DockerArchive { file, reference } => {
                docker_archive::export(self, image, file, reference.as_ref())?;
                Ok(image.manifest_digest)
            }
        }
    }

    /// Writes the image index `index` and every platform's image to `dest`
    /// (`oci:`, `oci-archive:`); returns the index digest written there.
    /// docker-archive holds one image: it gets this machine's platform.
    /// The layout's entry for the index gets the descriptor annotations of
    /// the store's entry for it.
    pub fn export_index_with(
        &self,
        index: &StoredIndex,
        dest: &TransportRef,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
    ) -> Result<Digest, StoreError> {
        let annotations = self.descriptor_annotations(&index.digest)?;
        self.export_index_annotated(index, dest, compression, report, &annotations)
    }

    /// [`Store::export_index_with`], the layout's entry for the index
    /// carrying `annotations` (buildx's `index-descriptor`).
    pub fn export_index_annotated(
        &self,
        index: &StoredIndex,
        dest: &TransportRef,
        compression: Compression,
        report: &(dyn Fn(CompressedLayer) + Sync),
        annotations: &Annotations,
    ) -> Result<Digest, StoreError> {
        let layout = |store: &Store| -> Result<(StoredIndex, oci_layout::Exported), StoreError> {
            let out = store.index_for_export(index, compression, report)?;
            let images: Vec<Image> = out.images.iter().map(|p| p.image.clone()).collect();
            let export = oci_layout::Exported::of_index(store, &out.digest, &images, annotations)?;
            Ok((out, export))
        };
        match dest {
            TransportRef::OciDir { dir, reference } => {
                let (out, export) = layout(self)?;
                oci_layout::write_dir(self, &export, dir, reference.as_deref())?;
                Ok(out.digest)
            }
            TransportRef::OciArchive { file, reference } => {
                let (out, export) = layout(self)?;
                oci_layout::write_archive_of(self, &export, file, reference.as_deref())?;
                Ok(out.digest)
            }
            TransportRef::DockerArchive { .. } => {
                let image = index.select(&Platform::host())?;
                self.export_with(image, dest, compression, report)
            }
        }
    }

    /// Copies an image from `src` into the store, checking every digest and
    /// unpacking every layer (so a hostile layer is refused before anything
    /// is named). Names it `name`, or else the name the source gives it
    /// (oci REF, docker-archive RepoTags) when that is a valid name.
    /// Returns the manifest digest.
    pub fn import_from(
        &self,
        src: &TransportRef,
        name: Option<&ImageRef>,
    ) -> Result<Digest, StoreError> {
        self.import_from_for(src, name, None)
    }

    /// [`Store::import_from`] taking `platform`'s entry of an index in an
    /// OCI layout (an error if it has none); without one, the host's entry
    /// or else the first. docker-archive holds one image, taken as it is.
    pub fn import_from_for(
        &self,
        src: &TransportRef,
        name: Option<&ImageRef>,
        platform: Option<&Platform>,
    ) -> Result<Digest, StoreError> {
        let (digest, source_name, annotations) = match src {
            TransportRef::OciDir { dir, reference } => {
                let layout = oci_layout::DirLayout { dir: dir.clone() };
                oci_layout::import(self, &layout, reference.as_deref(), platform)?
            }
            TransportRef::OciArchive { file, reference } => {
                let layout = TarIndex::open(file)?;
                oci_layout::import(self, &layout, reference.as_deref(), platform)?
            }
            TransportRef::DockerArchive { file, reference } => {
                let (digest, name) = docker_archive::import(self, file, reference.as_ref())?;
                (digest, name, Annotations::new())
            }
        };
        self.name_imported(name, source_name, &digest, &annotations)?;
        Ok(digest)
    }

    /// [`Store::import_from`] keeping every platform of an index in an OCI
    /// layout, and the index (`pull --all-platforms`); docker-archive
    /// holds one image, taken as it is. Returns what the name points at.
    pub fn import_all_platforms_from(
        &self,
        src: &TransportRef,
        name: Option<&ImageRef>,
    ) -> Result<Digest, StoreError> {
        let (digest, source_name, annotations) = match src {
            TransportRef::OciDir { dir, reference } => {
                let layout = oci_layout::DirLayout { dir: dir.clone() };
                oci_layout_index::import_all_platforms(self, &layout, reference.as_deref())?
            }
            TransportRef::OciArchive { file, reference } => {
                let layout = TarIndex::open(file)?;
                oci_layout_index::import_all_platforms(self, &layout, reference.as_deref())?
            }
            TransportRef::DockerArchive { .. } => return self.import_from(src, name),
        };
        self.name_imported(name, source_name, &digest, &annotations)?;
        Ok(digest)
    }

    /// Names an import `name`, or else the name the source gave it when
    /// that is a valid name.
    fn name_imported(
        &self,
        name: Option<&ImageRef>,
        source_name: Option<String>,
        digest: &Digest,
        annotations: &Annotations,
    ) -> Result<(), StoreError> {
        let name = match name {
            Some(n) => Some(n.clone()),
            None => source_name.and_then(|n| ImageRef::parse(&n).ok()),
        };
        match name {
            // A layout's descriptor annotations (buildx's
            // manifest-descriptor) are the new entry's, as `push oci:`
            // wrote them; without any, the entry inherits as a tag does.
            Some(name) if !annotations.is_empty() => self.tag_annotated(&name, digest, annotations),
            Some(name) => self.tag(&name, digest),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transports() {
        let t = TransportRef::parse("oci:/tmp/x:docker.io/library/busybox:latest")
            .ok()
            .flatten();
        assert_eq!(
            t,
            Some(TransportRef::OciDir {
                dir: "/tmp/x".into(),
                reference: Some("docker.io/library/busybox:latest".into())
            })
        );
        assert_eq!(TransportRef::parse("busybox:latest").ok().flatten(), None);
        assert!(TransportRef::parse("oci-archive::x").is_err());
        let d = TransportRef::parse("docker-archive:/a.tar:app:1")
            .ok()
            .flatten();
        assert_eq!(
            d.map(|d| d.to_string()).as_deref(),
            Some("docker-archive:/a.tar:app:1")
        );
    }
}
