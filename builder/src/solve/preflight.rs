//! What a build will write, checked before its first step: a bad tag or an
//! output nobody can write should fail in a second, not after an hour of
//! building.

use std::path::Path;

use strata_store::ImageRef;

use super::{BuildError, BuildOptions, Output};

pub(crate) fn check(opts: &BuildOptions) -> Result<(), BuildError> {
    for tag in &opts.tags {
        ImageRef::parse(tag).map_err(|e| BuildError::Usage(format!("-t {tag:?}: {e}")))?;
    }
    for out in &opts.outputs {
        match out {
            Output::Oci(dir) => check_dir_dest(dir, "--output")?,
            Output::OciArchive(file) | Output::DockerArchive(file) => {
                check_file_dest(file, "--output")?
            }
        }
    }
    Ok(())
}

/// A file to be written at `path` (made beside it, renamed over it): its
/// directory must exist, and it must not be a directory itself.
pub fn check_file_dest(path: &Path, flag: &str) -> Result<(), BuildError> {
    if path.is_dir() {
        return Err(BuildError::Usage(format!(
            "{flag} {}: is a directory, not a file",
            path.display()
        )));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(BuildError::Usage(format!(
            "{flag} {}: no directory {}",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// A directory to be created (with its parents) or filled: it and its
/// nearest existing ancestor must be directories.
fn check_dir_dest(path: &Path, flag: &str) -> Result<(), BuildError> {
    let mut at = Some(path);
    while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(BuildError::Usage(format!(
                    "{flag} {}: {} is not a directory",
                    path.display(),
                    p.display()
                )));
            }
            Err(_) => at = p.parent(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dests_under_a_file_or_in_a_missing_dir_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(check_file_dest(&t.path().join("x.tar"), "-o").is_ok());
        assert!(check_file_dest(&t.path().join("no/x.tar"), "-o").is_err());
        assert!(check_file_dest(t.path(), "-o").is_err());
        assert!(check_dir_dest(&t.path().join("new/layout"), "-o").is_ok());
        assert!(check_dir_dest(&file.join("layout"), "-o").is_err());
        assert!(check_dir_dest(&file, "-o").is_err());
    }
}
