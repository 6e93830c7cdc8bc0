//! A ref to a commit, asked of the remote (`git ls-remote`): nothing is
//! fetched, so a step whose key is that commit can hit without a clone.

use std::path::Path;
use std::process::Command;

use super::{GitError, GitUrl};

/// A ref resolved: the commit, and the remote's name for what to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub commit: String,
    /// `refs/heads/main`, `refs/tags/v1`, `HEAD`, or the commit itself.
    pub fetch: String,
}

/// The system git with nothing asked of a terminal or the user's config
/// that would change what is fetched. `agent`: the ssh agent an ssh
/// remote authenticates with (the build's `--ssh default`, as BuildKit's
/// git source uses it); else the caller's SSH_AUTH_SOCK stays.
pub(crate) fn git(agent: Option<&Path>) -> Command {
    let mut c = Command::new("git");
    c.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C");
    if let Some(sock) = agent {
        c.env("SSH_AUTH_SOCK", sock);
    }
    c
}

/// Runs `cmd`, its stdout on success, its stderr as the error.
pub(crate) fn output(remote: &str, cmd: &mut Command) -> Result<String, GitError> {
    let out = cmd.output().map_err(GitError::Spawn)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(GitError::Git {
            remote: remote.to_string(),
            message: err.trim().lines().last().unwrap_or("failed").to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit `url` names: a branch, then a tag (peeled to its commit),
/// then a full ref name, then a full commit id, as BuildKit's git source
/// tries them; no ref is the remote's HEAD.
pub fn resolve(url: &GitUrl, agent: Option<&Path>) -> Result<Resolved, GitError> {
    let listed = output(
        &url.remote,
        git(agent).args(["ls-remote", "--", &url.remote]),
    )?;
    let refs: Vec<(&str, &str)> = listed.lines().filter_map(|l| l.split_once('\t')).collect();
    let find = |name: &str| refs.iter().find(|(_, r)| *r == name).map(|(c, _)| *c);
    let reference = url.reference.as_deref().unwrap_or("HEAD");
    let candidates = [
        (
            format!("refs/heads/{reference}"),
            format!("refs/heads/{reference}"),
        ),
        (
            format!("refs/tags/{reference}^{{}}"),
            format!("refs/tags/{reference}"),
        ),
        (
            format!("refs/tags/{reference}"),
            format!("refs/tags/{reference}"),
        ),
        (reference.to_string(), reference.to_string()),
    ];
    for (listed_as, fetch) in candidates {
        if let Some(commit) = find(&listed_as) {
            return Ok(Resolved {
                commit: commit.to_string(),
                fetch,
            });
        }
    }
    if is_full_commit(reference) {
        return Ok(Resolved {
            commit: reference.to_ascii_lowercase(),
            fetch: reference.to_ascii_lowercase(),
        });
    }
    Err(GitError::RefNotFound {
        remote: url.remote.clone(),
        reference: reference.to_string(),
    })
}

fn is_full_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// `ADD --checksum=PREFIX` for a git source: the commit must start with it.
pub fn check_commit(url: &GitUrl, commit: &str, want: &str) -> Result<(), GitError> {
    let want_l = want.to_ascii_lowercase();
    if !want_l.is_empty() && commit.starts_with(&want_l) {
        return Ok(());
    }
    Err(GitError::Checksum {
        remote: url.remote.clone(),
        commit: commit.to_string(),
        want: want.to_string(),
    })
}
