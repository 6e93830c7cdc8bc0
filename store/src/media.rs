//! Media types we write and the docker ones we also read.

use oci_spec::image::MediaType;

use crate::compress::Compression;

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const DOCKER_LAYER_FOREIGN_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// The OCI layer media type for a compression.
pub fn layer_media_type(c: Compression) -> MediaType {
    match c {
        Compression::None => MediaType::ImageLayer,
        Compression::Gzip { .. } => MediaType::ImageLayerGzip,
        Compression::Zstd { .. } => MediaType::ImageLayerZstd,
    }
}

pub fn is_layer(m: &MediaType) -> bool {
    match m {
        MediaType::ImageLayer
        | MediaType::ImageLayerGzip
        | MediaType::ImageLayerZstd
        | MediaType::ImageLayerNonDistributable
        | MediaType::ImageLayerNonDistributableGzip
        | MediaType::ImageLayerNonDistributableZstd => true,
        MediaType::Other(s) => {
            s == DOCKER_LAYER_GZIP || s == DOCKER_LAYER_FOREIGN_GZIP || s == DOCKER_LAYER_TAR
        }
        _ => false,
    }
}

pub fn is_manifest(m: &MediaType) -> bool {
    matches!(m, MediaType::ImageManifest)
        || matches!(m, MediaType::Other(s) if s == DOCKER_MANIFEST)
}

pub fn is_index(m: &MediaType) -> bool {
    matches!(m, MediaType::ImageIndex)
        || matches!(m, MediaType::Other(s) if s == DOCKER_MANIFEST_LIST)
}
