//! The store: an OCI image layout (blobs, index of names) plus snapshots,
//! layer tars with whiteouts, compression, transports, locking, gc and fsck.

mod atomic;
mod blobs;
mod canonical;
pub mod compress;
mod digest;
mod error;
mod image;
mod index;
pub mod layer;
mod lock;
pub mod media;
mod reference;
mod snapshot;
mod store;

pub use blobs::BlobWriter;
pub use compress::Compression;
pub use digest::{Digest, DigestReader, DigestWriter};
pub use error::StoreError;
pub use image::Image;
pub use index::NamedImage;
pub use layer::{LayerInfo, LayerOptions};
pub use lock::StoreLock;
pub use reference::ImageRef;
pub use snapshot::{SnapshotId, SnapshotMeta};
pub use store::Store;
pub use tempfile::TempDir;

pub use oci_spec::image::{Descriptor, ImageConfiguration, ImageManifest, MediaType};
