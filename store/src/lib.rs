//! The store: an OCI image layout (blobs, index of names) plus snapshots,
//! layer tars with whiteouts, compression, transports, locking, gc and fsck.
//!
//! How the builder uses it: make an upper dir with [`Store::tempdir`], run
//! the step on overlayfs, [`Store::commit_snapshot_deferred`] it (a rename;
//! [`Store::sync_snapshots`] makes the build's snapshots durable together at
//! its end), stack
//! snapshots as lower dirs; later [`Store::write_layer`] each snapshot,
//! [`Store::write_image`] and [`Store::tag`]. Hold [`Store::lock_shared`]
//! for the whole build (or run) so `gc` never collects what is in use, and
//! pin what cache records need with [`Pins`] (a `"pins"` key in any
//! `cache/**/*.json`).
//!
//! Compression: layers a build makes are kept uncompressed in the store
//! (write them with [`Compression::None`], media type
//! `application/vnd.oci.image.layer.v1.tar`); they are compressed when the
//! image leaves the store: [`Store::for_export`] (registry push, build
//! cache export) and [`Store::export`] (`oci:`, `oci-archive:`) compress
//! each uncompressed layer once, remember the result under
//! `cache/compressed/`, and send layers that came compressed (pulled or
//! imported) as they are. `docker-archive:` keeps docker save's
//! uncompressed `layer.tar`.

#![forbid(unsafe_code)]

mod annotations;
mod atomic;
mod blobs;
mod canonical;
pub mod compress;
mod df;
mod digest;
mod error;
mod export;
pub mod fs_space;
mod fsck;
mod gc;
mod image;
mod import;
mod index;
mod last_pulled;
pub mod layer;
mod lock;
pub mod media;
mod platform_index;
mod pulled_through;
mod reference;
pub mod registry;
mod roots;
mod snapshot;
mod store;
mod time;
pub mod transport;

pub use annotations::Annotations;
pub use blobs::BlobWriter;
pub use compress::Compression;
pub use digest::{Digest, DigestReader, DigestWriter};
pub use error::StoreError;
pub use export::CompressedLayer;
pub use image::Image;
pub use index::NamedImage;
pub use layer::{LayerInfo, LayerOptions};
pub use lock::StoreLock;
pub use platform_index::{PlatformImage, Stored, StoredIndex};
pub use reference::{ImageRef, ReferenceError};
pub use snapshot::{SnapshotId, SnapshotMeta};
pub use store::Store;
pub use strata_platform::{ARCHES, Arch, Platform, PlatformError};
pub use tempfile::TempDir;

pub use df::DiskUsage;
pub use fsck::FsckReport;
pub use gc::{GcReport, TMP_GRACE};
pub use oci_spec::image::{Descriptor, ImageConfiguration, ImageManifest, MediaType};
pub use roots::{Live, Pins};
pub use transport::TransportRef;
