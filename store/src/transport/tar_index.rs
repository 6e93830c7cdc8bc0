//! Random access into a tar file: one pass records where each regular
//! file's data starts, then members are read by seeking. Archives are only
//! ever read this way, never extracted, so member names cannot escape.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, StoreError};

pub struct TarIndex {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<TarIndex, StoreError> {
        let file = File::open(path).ctx(|| format!("open {}", path.display()))?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        let bad = |e: std::io::Error| StoreError::malformed(path.display().to_string(), e);
        for entry in archive.entries_with_seek().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let name = name.trim_start_matches("./").to_owned();
            members.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            members,
        })
    }

    /// The member's bytes, or `None` if the archive has no such file.
    pub fn open_member(&self, name: &str) -> Result<Option<impl Read + use<>>, StoreError> {
        let Some(&(offset, size)) = self.members.get(name) else {
            return Ok(None);
        };
        let mut file = File::open(&self.path).ctx(|| format!("open {}", self.path.display()))?;
        file.seek(SeekFrom::Start(offset))
            .ctx(|| format!("seek in {}", self.path.display()))?;
        Ok(Some(file.take(size)))
    }
}
