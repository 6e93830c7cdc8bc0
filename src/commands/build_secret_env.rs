//! `--secret id=ID,env=VAR` (and `--secret id=ID`, VAR = ID, as buildx
//! reads it): the variable's value handed to the builder as a file in a
//! private directory of the store's tmp (0700, the file 0400), removed
//! when the build ends. The value is never part of a key, a layer or the
//! history: the RUN that mounts it is keyed by its mount spec only.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use miette::miette;
use strata_store::{Store, TempDir};

use super::build_failure::Failure;

#[derive(Default)]
pub struct EnvSecrets {
    dir: Option<TempDir>,
}

impl EnvSecrets {
    /// The file holding `$VAR` (VAR = `env`, else `id`).
    pub fn take(
        &mut self,
        store: &Store,
        flag: &str,
        id: &str,
        env: Option<&str>,
    ) -> Result<PathBuf, Failure> {
        let var = env.unwrap_or(id);
        let Some(value) = std::env::var_os(var) else {
            return Err(miette!(
                "--secret {flag:?}: environment variable {var} is not set (want src=PATH or env=VAR)"
            )
            .into());
        };
        let dir = match &self.dir {
            Some(d) => d.path().to_path_buf(),
            None => {
                let d = store
                    .tempdir()
                    .map_err(|e| miette!("--secret {flag:?}: {e}"))?;
                let p = d.path().to_path_buf();
                self.dir = Some(d);
                p
            }
        };
        let file = dir.join(format!("env-{}", self.count()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&file)
            .map_err(|e| miette!("--secret {flag:?}: {}: {e}", file.display()))?;
        f.write_all(value.as_encoded_bytes())
            .map_err(|e| miette!("--secret {flag:?}: {}: {e}", file.display()))?;
        Ok(file)
    }

    fn count(&self) -> usize {
        self.dir
            .as_ref()
            .and_then(|d| std::fs::read_dir(d.path()).ok())
            .map_or(0, |r| r.count())
    }
}
