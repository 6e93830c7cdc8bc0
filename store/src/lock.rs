//! Advisory file locks (flock via std `File::lock`). Dropping the guard
//! closes the file, which releases the lock, also when a process dies.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{IoContext, StoreError};

#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

#[derive(Clone, Copy)]
pub(crate) enum LockKind {
    Shared,
    Exclusive,
}

impl StoreLock {
    pub(crate) fn acquire(path: &Path, kind: LockKind) -> Result<StoreLock, StoreError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ctx(|| format!("open lock {}", path.display()))?;
        match kind {
            LockKind::Shared => file.lock_shared(),
            LockKind::Exclusive => file.lock(),
        }
        .ctx(|| format!("lock {}", path.display()))?;
        Ok(StoreLock { _file: file })
    }
}
