//! A commit's tree checked out once into the store's cache
//! (`cache/git/COMMIT`), with its `.git` and its submodules
//! (`submodules.rs`), so `--keep-git-dir` and a plain ADD of the same
//! commit share it. It is made in the store's tmp/ and renamed into place
//! whole: a killed build leaves no half checkout there. Files are 0644, or 0755 when git
//! has them executable, directories 0755 (as BuildKit's git source
//! leaves them), whatever the umask of the build.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_store::Store;

use crate::cache::git_checkouts::{self, CheckoutLease};

use super::remote::{git, output};
use super::{GitError, GitUrl, Resolved};

/// A checked-out commit in the cache.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub root: PathBuf,
    pub commit: String,
    /// Keeps `cache prune` off the checkout while any clone of this lives:
    /// the caller keeps one until it is done reading the tree.
    pub lease: Arc<CheckoutLease>,
}

impl Checkout {
    /// The directory `url` selects (its subdir, or the whole tree), which
    /// may not lead out of the checkout.
    pub fn dir(&self, url: &GitUrl) -> Result<PathBuf, GitError> {
        let Some(sub) = &url.subdir else {
            return Ok(self.root.clone());
        };
        let missing = || GitError::NoSubdir {
            remote: url.remote.clone(),
            commit: self.commit.clone(),
            subdir: sub.clone(),
        };
        let root = self.root.canonicalize().map_err(GitError::io(&self.root))?;
        let dir = self.root.join(sub).canonicalize().map_err(|_| missing())?;
        if !dir.starts_with(&root) || !dir.is_dir() || dir.starts_with(root.join(".git")) {
            return Err(missing());
        }
        Ok(dir)
    }
}

/// The checkout of `resolved.commit`, fetched from `url` unless the cache
/// has it already.
pub fn checkout(
    store: &Store,
    url: &GitUrl,
    resolved: &Resolved,
    agent: Option<&Path>,
) -> Result<Checkout, GitError> {
    let parent = git_checkouts::checkouts_dir(store);
    let dest = parent.join(&resolved.commit);
    // Before looking: a prune between the look and the use would take it.
    let lease = git_checkouts::lease(store, &resolved.commit)?;
    let done = Checkout {
        root: dest.clone(),
        commit: resolved.commit.clone(),
        lease: Arc::new(lease),
    };
    if !dest.is_dir() {
        fetch_into(store, url, resolved, agent, &dest)?;
    }
    let shown = super::url::redacted(&url.remote).unwrap_or_else(|| url.remote.clone());
    git_checkouts::record_use(store, &resolved.commit, &shown)?;
    Ok(done)
}

/// Fetches and checks out `resolved.commit` in tmp/, then renames it to
/// `dest` whole.
fn fetch_into(
    store: &Store,
    url: &GitUrl,
    resolved: &Resolved,
    agent: Option<&Path>,
    dest: &Path,
) -> Result<(), GitError> {
    let parent = git_checkouts::checkouts_dir(store);
    let tmp = store.tempdir().map_err(|e| GitError::Git {
        remote: url.remote.clone(),
        message: e.to_string(),
    })?;
    let repo = tmp.path().join("repo");
    let remote = url.remote.as_str();
    output(remote, git(agent).args(["init", "-q"]).arg(&repo))?;
    // As `origin`, so submodule URLs relative to it resolve (and a kept
    // `.git` names where it came from, as BuildKit's does).
    output(
        remote,
        git(agent)
            .arg("-C")
            .arg(&repo)
            .args(["remote", "add", "origin", "--", remote]),
    )?;
    // Shallow first; a server without shallow support (git's dumb http
    // protocol: a plain web server) gets a whole fetch instead.
    let fetch = |what: &str| {
        let run = |depth: &[&str]| {
            output(
                remote,
                git(agent)
                    .arg("-C")
                    .arg(&repo)
                    .args(["fetch", "-q", "--no-tags"])
                    .args(depth)
                    .args(["--", "origin", what]),
            )
        };
        run(&["--depth=1"]).or_else(|_| run(&[]))
    };
    fetch(&resolved.fetch)?;
    let head = output(
        remote,
        git(agent)
            .arg("-C")
            .arg(&repo)
            .args(["rev-parse", "FETCH_HEAD"]),
    )?;
    // The branch moved since ls-remote: take the commit the key names.
    if head.trim() != resolved.commit {
        fetch(&resolved.commit)?;
    }
    output(
        remote,
        git(agent).arg("-C").arg(&repo).args([
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "-q",
            &resolved.commit,
        ]),
    )?;
    super::submodules::update(&repo, remote, agent)?;
    super::submodules::redact_urls(&repo, remote)?;
    normalize_modes(&repo, true)?;
    std::fs::set_permissions(&repo, std::fs::Permissions::from_mode(0o755))
        .map_err(GitError::io(&repo))?;
    std::fs::create_dir_all(&parent).map_err(GitError::io(&parent))?;
    if let Err(e) = std::fs::rename(&repo, dest) {
        // Another build checked the same commit out first.
        if !dest.is_dir() {
            return Err(GitError::io(dest)(e));
        }
    }
    Ok(())
}

fn normalize_modes(dir: &Path, top: bool) -> Result<(), GitError> {
    for entry in std::fs::read_dir(dir).map_err(GitError::io(dir))? {
        let entry = entry.map_err(GitError::io(dir))?;
        let path = entry.path();
        if top && entry.file_name() == ".git" {
            continue;
        }
        let meta = entry.file_type().map_err(GitError::io(&path))?;
        let mode = if meta.is_symlink() {
            continue;
        } else if meta.is_dir() {
            normalize_modes(&path, false)?;
            0o755
        } else {
            let m = entry.metadata().map_err(GitError::io(&path))?;
            if m.permissions().mode() & 0o111 != 0 {
                0o755
            } else {
                0o644
            }
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(GitError::io(&path))?;
    }
    Ok(())
}
