//! Finding the compose file (compose.yaml, compose.yml, docker-compose.yaml,
//! docker-compose.yml in the working directory or the nearest parent that
//! has one) and the project name (-p, COMPOSE_PROJECT_NAME, top-level
//! `name`, the project directory's base name; normalized as compose does).

use std::path::{Path, PathBuf};

use crate::error::LoadError;

pub const FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The compose file of `dir` or of its nearest parent that has one; with an
/// override file next to it (compose.override.yaml ...) as compose does.
pub fn find(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut here = Some(dir);
    while let Some(d) = here {
        if let Some(name) = FILE_NAMES.iter().find(|n| d.join(n).is_file()) {
            let mut files = vec![d.join(name)];
            let stem = name.rsplit_once('.').map_or(*name, |(s, _)| s);
            for ext in ["yaml", "yml"] {
                let over = d.join(format!("{stem}.override.{ext}"));
                if over.is_file() {
                    files.push(over);
                    break;
                }
            }
            return Ok(files);
        }
        here = d.parent();
    }
    Err(LoadError::new(format!(
        "no configuration file provided: not found (looked for {} in {} and its parents)",
        FILE_NAMES.join(", "),
        dir.display()
    )))
}

/// compose-go's NormalizeProjectName: lower case, only `[a-z0-9_-]`, no
/// leading `_` or `-`.
pub fn normalize_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let kept: String = lower
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// A name given explicitly (-p, COMPOSE_PROJECT_NAME, `name:`) must already be
/// a valid one; compose refuses rather than rewrites it.
pub fn check_name(name: &str, source: &str) -> Result<(), LoadError> {
    if name.is_empty() || normalize_name(name) != name {
        return Err(LoadError::new(format!(
            "{source} {name:?} is not a valid project name: it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_as_compose_does() {
        assert_eq!(normalize_name("My App.v2"), "myappv2");
        assert_eq!(normalize_name("_-x_y"), "x_y");
        assert!(check_name("Bad", "-p").is_err());
        assert!(check_name("good-1", "-p").is_ok());
    }

    #[test]
    fn the_nearest_parent_with_a_file_is_found() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("docker-compose.yml"), "services: {}\n").unwrap();
        std::fs::write(
            d.path().join("docker-compose.override.yml"),
            "services: {}\n",
        )
        .unwrap();
        let sub = d.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let files = find(&sub).unwrap();
        assert_eq!(
            files,
            vec![
                d.path().join("docker-compose.yml"),
                d.path().join("docker-compose.override.yml")
            ]
        );
    }
}
