//! Opening the store the command line points at, and turning store errors
//! into reports.

use std::path::PathBuf;

use miette::Result;
use strata_store::{Image, Store, StoreError};

pub fn open(root: Option<PathBuf>) -> Result<Store> {
    let root = root.unwrap_or_else(Store::default_root);
    Store::open(&root).map_err(report)
}

pub fn report(e: StoreError) -> miette::Report {
    miette::miette!("{e}")
}

/// The image a user named, or a clear error.
pub fn find(store: &Store, image: &str) -> Result<Image> {
    store
        .resolve_str(image)
        .map_err(report)?
        .ok_or_else(|| miette::miette!("image {image} not found in {}", store.root().display()))
}
