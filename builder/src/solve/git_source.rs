//! ADD of git repositories: each ref is resolved to its commit before the
//! step's key is made, and the commit (not the files) enters the key, so
//! a new commit on the branch misses and the same commit hits without a
//! fetch. Only a miss checks the commit out (once per store) and plans
//! the copy of its tree, `.git` left out unless `--keep-git-dir`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::stage::StepCtx;
use super::{BuildError, Session};
use crate::copy::{self, CopyRequest, Item};
use crate::field_hasher::FieldHasher;
use crate::git::remote::check_commit;
use crate::git::{GitUrl, Resolved, checkout, resolve};
use crate::tree::{PlainDir, Tree};
use strata_store::Digest;

/// The git sources of one ADD, resolved.
pub(super) struct GitSources {
    sources: Vec<(GitUrl, Resolved)>,
    keep_git_dir: bool,
}

impl GitSources {
    /// Picks the git URLs out of `sources` and resolves each; the rest are
    /// returned for the other kinds of source.
    pub fn resolve<'a>(
        session: &Session,
        ctx: &StepCtx,
        sources: &'a [String],
        add: bool,
        keep_git_dir: bool,
        checksum: Option<&str>,
    ) -> Result<(GitSources, Vec<&'a String>), BuildError> {
        let mut git = Vec::new();
        let mut rest = Vec::new();
        for s in sources {
            match GitUrl::parse(s) {
                Some(url) => git.push(url),
                None => rest.push(s),
            }
        }
        if !git.is_empty() && !add {
            return Err(ctx.fail("source can't be a git ref for COPY; use ADD"));
        }
        if checksum.is_some() && !git.is_empty() && (git.len() > 1 || !rest.is_empty()) {
            return Err(ctx.fail("ADD --checksum takes a single git or http source"));
        }
        let agent = session.opts.ssh.get("default").map(PathBuf::as_path);
        let mut resolved = Vec::new();
        for url in git {
            let r = resolve(&url, agent).map_err(|e| ctx.fail(e))?;
            if let Some(want) = checksum {
                check_commit(&url, &r.commit, want).map_err(|e| ctx.fail(e))?;
            }
            resolved.push((url, r));
        }
        Ok((
            GitSources {
                sources: resolved,
                keep_git_dir,
            },
            rest,
        ))
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// `digest` (the other sources') with each repository, commit and
    /// subdir folded in.
    pub fn key(&self, digest: Digest) -> Digest {
        let mut h = FieldHasher::new();
        h.field("git-sources").field(digest.to_string());
        h.field(if self.keep_git_dir {
            "keep-git-dir"
        } else {
            ""
        });
        for (url, r) in &self.sources {
            h.field(&url.remote)
                .field(&r.commit)
                .field(url.subdir.as_deref().unwrap_or(""));
        }
        h.finish()
    }

    /// One line per repository for `--explain-cache`: `git REMOTE` -> commit.
    pub fn describe(&self, files: &mut BTreeMap<String, String>) {
        for (url, r) in &self.sources {
            let sub = url
                .subdir
                .as_deref()
                .map(|s| format!(":{s}"))
                .unwrap_or_default();
            files.insert(format!("git {}{sub}", url.remote), r.commit.clone());
        }
    }

    /// Checks each commit out (or finds it in the cache) and plans its
    /// copy as `base` says (destination, owner, chmod, excludes).
    pub fn plan(
        &self,
        session: &Session,
        ctx: &StepCtx,
        image: &dyn Tree,
        base: &CopyRequest,
    ) -> Result<Vec<Item>, BuildError> {
        let mut items = Vec::new();
        for (url, r) in &self.sources {
            let agent = session.opts.ssh.get("default").map(PathBuf::as_path);
            let tree = checkout(session.store, url, r, agent).map_err(|e| ctx.fail(e))?;
            session
                .git_leases
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(tree.lease.clone());
            let dir = tree.dir(url).map_err(|e| ctx.fail(e))?;
            let mut excludes = base.excludes.clone();
            if !self.keep_git_dir && url.subdir.is_none() {
                excludes.push(".git".into());
            }
            let req = CopyRequest {
                sources: vec![".".into()],
                excludes,
                keep_owners: false,
                extract_archives: false,
                ..base.clone()
            };
            let p = copy::plan(&PlainDir::new(&dir), image, &req).map_err(|e| ctx.fail(e))?;
            items.extend(p.items);
        }
        Ok(items)
    }
}
