//! Opening the store the command line points at, and turning store errors
//! into reports.

use std::path::PathBuf;

use miette::Result;
use strata_builder::cache::ByteSize;
use strata_store::{Image, Store, StoreError};

pub fn open(root: Option<PathBuf>) -> Result<Store> {
    let root = root.unwrap_or_else(Store::default_root);
    Store::open(&root).map_err(report)
}

/// The store, with `--max-layer-size` bounding what is unpacked into it.
pub fn bounded(root: Option<PathBuf>, max_layer_size: Option<ByteSize>) -> Result<Store> {
    let mut store = open(root)?;
    store.set_max_layer_size(max_layer_size.map(|s| s.0));
    Ok(store)
}

/// A store error (or a name's, its reference error) as the CLI reports it.
pub fn report(e: impl Into<StoreError>) -> miette::Report {
    miette::miette!("{}", e.into())
}

/// The image a user named, or a clear error.
pub fn find(store: &Store, image: &str) -> Result<Image> {
    store
        .resolve_str(image)
        .map_err(report)?
        .ok_or_else(|| miette::miette!("image {image} not found in {}", store.root().display()))
}
