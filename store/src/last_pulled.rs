//! When an image reference was last pulled from its registry: a file per
//! reference under `$ROOT/pulled/` (named by the digest of the full
//! reference, so `busybox` and `docker.io/library/busybox:latest` are
//! one), whose modification time is the pull's. Every registry pull
//! writes it, whoever asked for it, as docker's image LastTagTime moves on
//! any pull; compose's `pull_policy: daily|weekly|every_<d>` reads it.
//! Index entries carry no time, hence a record beside them.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::reference::ImageRef;
use crate::store::Store;

impl Store {
    fn pull_record(&self, image: &ImageRef) -> PathBuf {
        let key = Digest::of(image.to_string().as_bytes());
        self.root()
            .join("pulled")
            .join(format!("{}.ref", key.hex()))
    }

    /// Records that `image` was pulled now.
    pub fn mark_pulled(&self, image: &ImageRef) -> Result<(), StoreError> {
        let file = self.pull_record(image);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).ctx(|| format!("create {}", dir.display()))?;
        }
        // The name inside is for whoever looks; the time is the record. A
        // rewrite moves the modification time even when the text is the same.
        std::fs::write(&file, format!("{image}\n"))
            .ctx(|| format!("record the pull of {image} in {}", file.display()))
    }

    /// How long ago `image` was last pulled; None when it never was here
    /// (an image built, loaded or pulled before the record existed).
    pub fn pulled_ago(&self, image: &ImageRef) -> Option<Duration> {
        let modified = std::fs::metadata(self.pull_record(image))
            .ok()?
            .modified()
            .ok()?;
        Some(
            SystemTime::now()
                .duration_since(modified)
                .unwrap_or(Duration::ZERO),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(text: &str) -> ImageRef {
        ImageRef::parse(text).expect("reference")
    }

    #[test]
    fn a_familiar_name_and_its_full_spelling_share_one_record() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = Store::open(tmp.path()).expect("open");
        assert!(store.pulled_ago(&reference("busybox")).is_none());
        store
            .mark_pulled(&reference("docker.io/library/busybox:latest"))
            .expect("mark");
        assert!(store.pulled_ago(&reference("busybox")).is_some());
        assert!(store.pulled_ago(&reference("busybox:1.36")).is_none());
    }
}
