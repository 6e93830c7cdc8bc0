//! A build context named by URL, as `docker build URL` takes one: a git
//! repository (`git://…/repo.git#REF:DIR`, `https://…/repo.git`,
//! `git@HOST:repo.git`) is its commit's tree without `.git`; another
//! http(s) URL is downloaded, and a tar (maybe compressed) becomes the
//! context while any other body is the Dockerfile of an empty context.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_store::Store;
use strata_store::TempDir;

use crate::cache::git_checkouts::CheckoutLease;
use crate::copy::archive;
use crate::copy::fetch::{fetch, is_url};
use crate::git::{GitError, GitUrl, checkout, resolve};

#[derive(Debug, thiserror::Error)]
pub enum RemoteContextError {
    #[error("build context {url}: {source}")]
    Git {
        url: String,
        #[source]
        source: GitError,
    },
    #[error("build context: {0}")]
    Fetch(#[from] crate::copy::fetch::FetchError),
    #[error("build context {url}: {path}: {source}")]
    Io {
        url: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] strata_store::StoreError),
}

/// A context made from a URL; its files live as long as it does.
#[derive(Debug)]
pub struct RemoteContext {
    dir: TempDir,
    /// The downloaded body when it was no archive: the Dockerfile.
    pub dockerfile: Option<String>,
    /// A git context's checkout, held while the build lasts (as the
    /// build's own ADDs hold theirs).
    _lease: Option<Arc<CheckoutLease>>,
}

impl RemoteContext {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Fetches the context `source` names, or None when it names a directory.
pub fn fetch_context(
    store: &Store,
    source: &str,
    ssh_agent: Option<&Path>,
) -> Result<Option<RemoteContext>, RemoteContextError> {
    if let Some(url) = GitUrl::parse_context(source) {
        return from_git(store, source, &url, ssh_agent).map(Some);
    }
    if !is_url(source) {
        return Ok(None);
    }
    let dir = store.tempdir()?;
    let download = store.tempdir()?;
    let got = fetch(source, download.path(), None)?;
    let io = |path: &Path| {
        let (url, path) = (source.to_string(), path.to_path_buf());
        move |source| RemoteContextError::Io { url, path, source }
    };
    if !archive::is_archive(&got.path) {
        let text = fs::read(&got.path).map_err(io(&got.path))?;
        return Ok(Some(RemoteContext {
            dir,
            dockerfile: Some(String::from_utf8_lossy(&text).into_owned()),
            _lease: None,
        }));
    }
    let reader = archive::open(&got.path).map_err(io(&got.path))?;
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(true);
    tar.set_overwrite(true);
    // The tar crate refuses entries that would land outside `dir`.
    tar.unpack(dir.path()).map_err(io(dir.path()))?;
    Ok(Some(RemoteContext {
        dir,
        dockerfile: None,
        _lease: None,
    }))
}

fn from_git(
    store: &Store,
    source: &str,
    url: &GitUrl,
    agent: Option<&Path>,
) -> Result<RemoteContext, RemoteContextError> {
    let git = |e| RemoteContextError::Git {
        url: source.to_string(),
        source: e,
    };
    let resolved = resolve(url, agent).map_err(git)?;
    let tree = checkout(store, url, &resolved, agent).map_err(git)?;
    let from = tree.dir(url).map_err(git)?;
    let dir = store.tempdir()?;
    copy_tree(&from, dir.path(), url.subdir.is_none()).map_err(|(path, e)| {
        RemoteContextError::Io {
            url: source.to_string(),
            path,
            source: e,
        }
    })?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).map_err(|e| {
        RemoteContextError::Io {
            url: source.to_string(),
            path: dir.path().to_path_buf(),
            source: e,
        }
    })?;
    Ok(RemoteContext {
        dir,
        dockerfile: None,
        _lease: Some(tree.lease),
    })
}

/// Copies the checkout (files, dirs, symlinks; `.git` of the top left
/// out) so the build's context is a directory of its own.
fn copy_tree(from: &Path, to: &Path, top: bool) -> Result<(), (PathBuf, std::io::Error)> {
    let at = |p: &Path| {
        let p = p.to_path_buf();
        move |e| (p, e)
    };
    for entry in fs::read_dir(from).map_err(at(from))? {
        let entry = entry.map_err(at(from))?;
        let src = entry.path();
        if top && entry.file_name() == ".git" {
            continue;
        }
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(at(&src))?;
        if kind.is_symlink() {
            let target = fs::read_link(&src).map_err(at(&src))?;
            std::os::unix::fs::symlink(target, &dst).map_err(at(&dst))?;
        } else if kind.is_dir() {
            fs::create_dir(&dst).map_err(at(&dst))?;
            copy_tree(&src, &dst, false)?;
            let mode = entry.metadata().map_err(at(&src))?.permissions();
            fs::set_permissions(&dst, mode).map_err(at(&dst))?;
        } else {
            fs::copy(&src, &dst).map_err(at(&dst))?;
        }
    }
    Ok(())
}
