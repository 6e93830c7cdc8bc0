//! `--cidfile FILE`: the container's id written to a file that must not
//! exist yet (docker refuses an existing one, so two runs cannot both
//! claim it). The file is claimed before the container is made and
//! removed again if making it fails, as docker does.

use std::io::Write;
use std::path::{Path, PathBuf};

use miette::{Result, miette};

pub struct CidFile {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl CidFile {
    pub fn claim(path: &Path) -> Result<CidFile> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => miette!(
                    "--cidfile {}: the file exists: make sure the other container isn't running, or delete it",
                    path.display()
                ),
                _ => miette!("--cidfile {}: {e}", path.display()),
            })?;
        Ok(CidFile {
            path: path.to_owned(),
            file: Some(file),
        })
    }

    /// Writes the id; the file is then kept.
    pub fn write(mut self, id: &str) -> Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| miette!("--cidfile written twice"))?;
        file.write_all(id.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| miette!("--cidfile {}: {e}", self.path.display()))
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
