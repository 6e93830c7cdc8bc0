//! The small JSON files kept beside the cache's own directories (a cache
//! mount's, a git checkout's): replaced whole by a rename, so a reader
//! never sees half of one, and read leniently, since a missing or damaged
//! one costs its entry's metadata, never the entry.

use std::io;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use strata_store::Store;

use super::record::RecordError;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file at `path`, or `None` if it is missing or does not parse.
pub(crate) fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes `value` to `path` through a file in the store's tmp/ renamed
/// over it.
pub(crate) fn replace<T: Serialize>(
    store: &Store,
    path: &Path,
    value: &T,
) -> Result<(), RecordError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| RecordError::Malformed {
        path: path.to_path_buf(),
        source,
    })?;
    let staging = store
        .tempdir()
        .map_err(|e| io_err(path)(io::Error::other(e)))?;
    let tmp = staging.path().join("meta");
    std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// The entries of the directory `root`; none when it does not exist yet.
pub(crate) fn entries(root: &Path) -> Result<Vec<std::fs::DirEntry>, RecordError> {
    match std::fs::read_dir(root) {
        Ok(e) => Ok(e.flatten().collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err(root)(e)),
    }
}
