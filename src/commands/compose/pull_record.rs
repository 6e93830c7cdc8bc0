//! When compose last pulled an image: a file per image name under
//! `$ROOT/compose/pulled/` (named by the digest of the full reference, so
//! `busybox` and `docker.io/library/busybox:latest` are one), whose
//! modification time is the pull's. `pull_policy: daily|weekly|every_<d>`
//! pulls again once it is older than that (docker compose reads the
//! image's LastTagTime; strata's index entries carry no time).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use miette::{IntoDiagnostic, Result, WrapErr};
use strata_store::{Digest, ImageRef, Store};

fn path(store: &Store, image: &ImageRef) -> PathBuf {
    let key = Digest::of(image.to_string().as_bytes());
    store
        .root()
        .join("compose/pulled")
        .join(format!("{}.ref", key.hex()))
}

/// Records that `image` was pulled now.
pub fn touch(store: &Store, image: &ImageRef) -> Result<()> {
    let file = path(store, image);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .into_diagnostic()
            .wrap_err_with(|| format!("create {}", dir.display()))?;
    }
    // The name inside is for whoever looks; the time is the record.
    std::fs::write(&file, format!("{image}\n"))
        .into_diagnostic()
        .wrap_err_with(|| format!("record the pull of {image} in {}", file.display()))
}

/// How long ago compose last pulled `image`; None when it never did (an
/// image that came some other way counts as due).
pub fn age(store: &Store, image: &ImageRef) -> Option<Duration> {
    let modified = std::fs::metadata(path(store, image))
        .ok()?
        .modified()
        .ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or(Duration::ZERO),
    )
}
