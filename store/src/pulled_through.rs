//! The registry index a pulled platform's manifest was reached through.
//! `pull docker://REF` of one platform names that platform's manifest,
//! but the registry knows the image by the index's digest too, and podman
//! shows both: the digest is kept on the name's own index.json entry, under
//! a key of ours that is no annotation of the image (it never leaves the
//! store and no other name inherits it).

use oci_spec::image::Descriptor;

use crate::digest::Digest;
use crate::error::StoreError;
use crate::index::{self, ref_name};
use crate::reference::ImageRef;
use crate::store::Store;

/// The entry's key: not under org.opencontainers, so no OCI tool reads it.
pub(crate) const PULLED_THROUGH: &str = "io.strata.pulled-through-index";

/// The index digest `d` (a name's entry) records, if it records one.
pub(crate) fn of_entry(d: &Descriptor) -> Option<Digest> {
    let value = d.annotations().as_ref()?.get(PULLED_THROUGH)?;
    value.parse().ok()
}

impl Store {
    /// Records that `name`, which points at `manifest`, was pulled through
    /// the registry's index `index`. Nothing happens when `name` points at
    /// something else by now (an index made here of several platforms: its
    /// own digest is the one its entries are known by).
    pub fn record_pulled_through(
        &self,
        name: &ImageRef,
        manifest: &Digest,
        index: &Digest,
    ) -> Result<(), StoreError> {
        let full = name.to_string();
        let want = manifest.to_oci();
        index::update(self, |entries| {
            if let Some(d) = entries
                .iter_mut()
                .rev()
                .find(|d| ref_name(d) == Some(full.as_str()) && *d.digest() == want)
            {
                let mut annotations = d.annotations().clone().unwrap_or_default();
                annotations.insert(PULLED_THROUGH.to_owned(), index.to_string());
                d.set_annotations(Some(annotations));
            }
            Ok(())
        })
    }
}
