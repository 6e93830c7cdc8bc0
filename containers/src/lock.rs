//! flock-based locks. The kernel drops a lock with its file, so a killed
//! command never leaves a container locked.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{ContainerError, IoContext};

#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    pub fn exclusive(path: &Path) -> Result<FileLock, ContainerError> {
        let file = open(path)?;
        file.lock().ctx("lock", path)?;
        Ok(FileLock { _file: file })
    }

    pub fn shared(path: &Path) -> Result<FileLock, ContainerError> {
        let file = open(path)?;
        file.lock_shared().ctx("lock", path)?;
        Ok(FileLock { _file: file })
    }

    /// `None` when another process holds it.
    pub fn try_exclusive(path: &Path) -> Result<Option<FileLock>, ContainerError> {
        let file = open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e).ctx("lock", path),
        }
    }
}

fn open(path: &Path) -> Result<File, ContainerError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ctx("open lock", path)
}
