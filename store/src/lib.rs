//! The store: an OCI image layout (blobs, index of names) plus snapshots,
//! layer tars with whiteouts, compression, transports, locking, gc and fsck.
pub mod registry;
