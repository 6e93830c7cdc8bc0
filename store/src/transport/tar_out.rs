//! Writing archives (oci-archive, docker-archive) with fixed headers: mode
//! 0644/0755, owner 0, mtime 0, so equal content gives equal archives.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::Path;

use tar::{Builder, EntryType, Header};

use crate::error::{IoContext, StoreError};

pub struct ArchiveWriter {
    builder: Builder<BufWriter<File>>,
}

impl ArchiveWriter {
    pub fn new(file: File) -> ArchiveWriter {
        ArchiveWriter {
            builder: Builder::new(BufWriter::with_capacity(1 << 20, file)),
        }
    }

    pub fn dir(&mut self, name: &str) -> Result<(), StoreError> {
        let mut h = Header::new_ustar();
        h.set_entry_type(EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(0);
        self.builder
            .append_data(&mut h, name, std::io::empty())
            .ctx(|| format!("archive {name}"))
    }

    pub fn file(&mut self, name: &str, size: u64, data: impl Read) -> Result<(), StoreError> {
        let mut h = Header::new_ustar();
        h.set_entry_type(EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(size);
        h.set_mtime(0);
        self.builder
            .append_data(&mut h, name, data)
            .ctx(|| format!("archive {name}"))
    }

    pub fn bytes(&mut self, name: &str, data: &[u8]) -> Result<(), StoreError> {
        self.file(name, data.len() as u64, data)
    }

    /// Finishes the archive and makes it durable.
    pub fn finish(self, path: &Path) -> Result<(), StoreError> {
        let buf = self
            .builder
            .into_inner()
            .ctx(|| format!("finish {}", path.display()))?;
        let file = buf
            .into_inner()
            .map_err(|e| e.into_error())
            .ctx(|| format!("flush {}", path.display()))?;
        file.sync_all().ctx(|| format!("fsync {}", path.display()))
    }
}
