//! Where the project came from: its compose files and working directory,
//! written on every container as docker compose's
//! `com.docker.compose.project.config_files` / `.working_dir` labels, so
//! `compose ls` can say which files each project was started from. One
//! strata process runs one compose command on one project, so the loader
//! records it once here and the labels read it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";

struct Origin {
    config_files: String,
    working_dir: String,
}

static ORIGIN: OnceLock<Origin> = OnceLock::new();

/// The files as the loader took them: -f's (made absolute), else
/// COMPOSE_FILE's, else the ones discovery finds; standard input is `-`.
pub fn record(args: &crate::cli::ComposeArgs, project_dir: &Path) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let given: Vec<PathBuf> = if !args.files.is_empty() {
        args.files.clone()
    } else if let Some(list) = std::env::var_os("COMPOSE_FILE") {
        std::env::split_paths(&list).collect()
    } else {
        let start = args.project_directory.clone().unwrap_or(cwd.clone());
        strata_compose::discover::find(&start).unwrap_or_default()
    };
    let files: Vec<String> = given
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                "-".to_owned()
            } else {
                cwd.join(f).display().to_string()
            }
        })
        .collect();
    let _ = ORIGIN.set(Origin {
        config_files: files.join(","),
        working_dir: project_dir.display().to_string(),
    });
}

/// The labels, once a project was loaded.
pub fn labels() -> Vec<(&'static str, String)> {
    match ORIGIN.get() {
        Some(o) => vec![
            (CONFIG_FILES, o.config_files.clone()),
            (WORKING_DIR, o.working_dir.clone()),
        ],
        None => Vec::new(),
    }
}
