//! One exclusive lock over every network change (records, addresses,
//! ports): these are small, so a single lock keeps them consistent
//! without ordering rules between several.

use std::fs::File;
use std::path::Path;

use rustix::fs::{FlockOperation, flock};

use crate::error::{Result, io};

pub struct Locked {
    _file: File,
}

pub fn exclusive(dir: &Path) -> Result<Locked> {
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    exclusive_file(&dir.join("lock"))
}

/// An exclusive flock of the file at `path` (made if missing), held until
/// the result is dropped.
pub fn exclusive_file(path: &Path) -> Result<Locked> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io("open lock", path))?;
    flock(&file, FlockOperation::LockExclusive).map_err(|e| io("lock", path)(e.into()))?;
    Ok(Locked { _file: file })
}
