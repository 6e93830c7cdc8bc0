//! A checkout's submodules, recursively, as BuildKit's git source takes
//! them (`git submodule update --init --recursive --depth=1`): a URL in
//! `.gitmodules` relative to the superproject (`../lib.git`) resolves
//! against the remote the superproject came from (its `origin`), and the
//! commits are the ones the superproject's tree records, so the
//! superproject's commit alone keys the result.

use std::path::Path;
use std::process::Command;

use super::GitError;
use super::remote::{git, output};

/// Checks out every submodule of the work tree `repo` (whose `origin` is
/// `remote`). A server that cannot serve a shallow fetch (git's dumb
/// http protocol) gets a whole one instead, as BuildKit retries without
/// `--depth`.
pub(crate) fn update(repo: &Path, remote: &str, agent: Option<&Path>) -> Result<(), GitError> {
    if !repo.join(".gitmodules").exists() {
        return Ok(());
    }
    let run = |depth: &[&str]| {
        failure(
            remote,
            git(agent)
                .arg("-C")
                .arg(repo)
                // A URL from the repository is not the user's: git refuses
                // `file://` and local paths for it (no host file is read
                // into the image), as for any protocol not allowed always.
                .env("GIT_PROTOCOL_FROM_USER", "0")
                .args(["submodule", "update", "--init", "--recursive"])
                .args(depth),
        )
    };
    run(&["--depth=1"]).or_else(|_| run(&[]))
}

/// Runs `cmd`; on failure every `fatal:` line git printed (which
/// submodule, and why), not only its last (`Failed to clone ...`).
fn failure(remote: &str, cmd: &mut Command) -> Result<(), GitError> {
    let out = cmd.output().map_err(GitError::Spawn)?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let fatal: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("fatal: "))
        .collect();
    let message = match fatal.is_empty() {
        true => err.trim().lines().last().unwrap_or("failed").to_string(),
        false => fatal.join("; "),
    };
    Err(GitError::Git {
        remote: remote.to_string(),
        message: format!("submodules: {message}"),
    })
}

/// Rewrites every repository URL in the checkout's git configs (the
/// superproject's `origin` and submodule URLs, each submodule's `origin`)
/// without its password, so `--keep-git-dir` never copies a credential of
/// the build's URL into the image (as BuildKit redacts its origin).
pub(crate) fn redact_urls(repo: &Path, remote: &str) -> Result<(), GitError> {
    let git_dir = repo.join(".git");
    let mut configs = vec![git_dir.join("config")];
    for entry in walkdir::WalkDir::new(git_dir.join("modules"))
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() && entry.file_name() == "config" {
            configs.push(entry.path().to_path_buf());
        }
    }
    for config in configs {
        let listed = git(None)
            .arg("config")
            .arg("--file")
            .arg(&config)
            .args(["--get-regexp", r"^(remote|submodule)\..*\.url$"])
            .output()
            .map_err(GitError::Spawn)?;
        for line in String::from_utf8_lossy(&listed.stdout).lines() {
            let Some((key, url)) = line.split_once(' ') else {
                continue;
            };
            let Some(clean) = super::url::redacted(url) else {
                continue;
            };
            output(
                remote,
                git(None)
                    .arg("config")
                    .arg("--file")
                    .arg(&config)
                    .args([key, &clean]),
            )?;
        }
    }
    Ok(())
}
