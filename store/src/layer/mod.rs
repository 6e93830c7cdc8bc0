//! Layer tars: made deterministically from a snapshot tree (overlay upper
//! dir) and applied safely onto a directory.

mod apply;
mod entry_path;
mod root;
mod sys;
mod write;

pub use apply::{ApplyOptions, DEFAULT_MAX_LAYER_SIZE, WhiteoutMode, apply_layer, apply_onto};
pub use entry_path::OuterLinks;
pub use root::{DirRoot, Probe, Root};
pub use sys::{clear_opaque_xattrs, has_opaque_xattr};
pub use write::write_tar;

use oci_spec::image::Descriptor;

use crate::compress::Compression;
use crate::digest::Digest;

/// Overlay whiteout prefix and opaque-dir marker of the OCI layer format.
pub const WHITEOUT_PREFIX: &str = ".wh.";
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// Overlayfs marks opaque dirs with one of these (user. when rootless).
pub const OPAQUE_XATTRS: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerOptions {
    pub compression: Compression,
    /// Every timestamp in the tar is clamped to this (seconds since epoch).
    pub source_date_epoch: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The layer blob (compressed or not, as its media type says), as a
    /// manifest lists it.
    pub descriptor: Descriptor,
    /// sha256 of the uncompressed tar, as the config's rootfs lists it.
    pub diff_id: Digest,
}
