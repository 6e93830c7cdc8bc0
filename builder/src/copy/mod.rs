//! COPY and ADD with docker build semantics: select sources from a tree
//! (context, stage or image), plan where every entry lands, digest the plan
//! for the cache key, then write it into a fresh upper directory that will
//! be stacked over the parent snapshots.

pub mod archive;
pub mod chmod;
pub mod chown;
mod contents;
pub mod fetch;
mod file_copy;
pub mod glob;
pub mod plan;
pub mod source_modes;
mod unpack;
pub mod write;

use std::io;
use std::path::PathBuf;

use filetime::FileTime;

pub use chmod::Chmod;
pub use chown::{Chown, Owner};
pub use contents::{HashStats, HashedFiles};
pub use plan::{CopyRequest, plan};
pub use source_modes::SourceModes;
pub use write::{write, write_bounded};

use crate::field_hasher::FieldHasher;
use crate::stat_cache::{FileStamp, StatCache};
use strata_store::Digest;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The step names where it looked (the context, a stage, an image).
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{0}: no source files were specified (the wildcard matched nothing)")]
    NoMatch(String),
    #[error(
        "when copying more than one source, the destination {0:?} must be a directory and end with a /"
    )]
    DestNotDir(String),
    #[error(transparent)]
    Pattern(#[from] glob::BadPattern),
    #[error(transparent)]
    Ignore(#[from] crate::context::dockerignore::PatternError),
    #[error(transparent)]
    Resolve(#[from] crate::tree::ResolveError),
    #[error(transparent)]
    Chown(#[from] chown::ChownError),
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error(
        "{path}: cannot give it owner {uid}:{gid}, an id this user namespace does not map (a rootless build without subordinate ids in /etc/subuid and /etc/subgid has root only)"
    )]
    UnmappedOwner { path: PathBuf, uid: u32, gid: u32 },
    #[error("ADD {}: {source}", path.display())]
    Archive {
        path: PathBuf,
        #[source]
        source: strata_store::StoreError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl CopyError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// A failed chown of `path` to `owner`: in a user namespace, EINVAL
    /// says the id is not mapped.
    pub(crate) fn chown(path: impl Into<PathBuf>, owner: Owner) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| match source.kind() {
            io::ErrorKind::InvalidInput => Self::UnmappedOwner {
                path,
                uid: owner.uid,
                gid: owner.gid,
            },
            _ => Self::Io { path, source },
        }
    }
}

/// What one planned entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Dir,
    /// A regular file copied from `host`, as it was when the plan stat'ed
    /// it (the stat cache checks this stamp instead of stat'ing again).
    File {
        host: PathBuf,
        stamp: FileStamp,
        /// The destination of an earlier file of the same source that is
        /// a hard link to the same inode: this one becomes a link to it,
        /// as BuildKit's copy keeps a hardlinked group hardlinked.
        hardlink_of: Option<String>,
    },
    Symlink {
        target: PathBuf,
    },
    /// A local tar (maybe compressed) that ADD unpacks at the destination;
    /// `chown` (ADD --chown) replaces the owners the archive records, as
    /// BuildKit does.
    Archive {
        host: PathBuf,
        chown: Option<Owner>,
    },
}

/// One entry of the destination, with its final metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Clean path relative to the image root.
    pub dest: String,
    pub kind: ItemKind,
    /// Permission bits (0o7777).
    pub mode: u32,
    pub owner: Owner,
    pub mtime: FileTime,
    /// A directory that may already exist below: then it keeps its own
    /// metadata, and its contents merge with what is there.
    pub merge: bool,
}

/// Everything a COPY/ADD step will write.
#[derive(Debug, Clone, Default)]
pub struct CopyPlan {
    pub items: Vec<Item>,
    /// Owner of directories that must be created on the way to the
    /// destination.
    pub parent_owner: Owner,
}

impl CopyPlan {
    /// The digest of everything that decides the result: each entry's path,
    /// type, mode, owner, content and link target (not mtimes, as BuildKit).
    /// Contents are hashed in parallel through the stat cache.
    pub fn digest(&self, cache: &StatCache) -> io::Result<Digest> {
        Ok(self.digest_with(&self.file_digests(cache)?))
    }

    /// The plan's digest given [`CopyPlan::file_digests`], so a caller that
    /// also needs the per-file digests stats and looks up each file once.
    pub fn digest_with(&self, file_digests: &[Digest]) -> Digest {
        let mut contents = file_digests.iter().copied();
        let mut h = FieldHasher::new();
        h.field(self.parent_owner.uid.to_le_bytes())
            .field(self.parent_owner.gid.to_le_bytes());
        for item in &self.items {
            // A file's content enters as its digest's text: the form keys
            // were first made with, so existing cache records still match.
            let (text, lossy);
            let (tag, extra): (&str, &[u8]) = match &item.kind {
                ItemKind::Dir => ("dir", b""),
                ItemKind::File { .. } => {
                    text = contents.next().map(|d| d.text());
                    ("file", text.as_ref().map_or(&b""[..], |t| &t[..]))
                }
                ItemKind::Archive { chown, .. } => {
                    text = contents.next().map(|d| d.text());
                    // The owner fields say which; the tag says whether
                    // they replace the archive's own.
                    let tag = if chown.is_some() {
                        "archive-chown"
                    } else {
                        "archive"
                    };
                    (tag, text.as_ref().map_or(&b""[..], |t| &t[..]))
                }
                ItemKind::Symlink { target } => {
                    lossy = target.to_string_lossy();
                    ("symlink", lossy.as_bytes())
                }
            };
            h.field(&item.dest)
                .field(tag)
                .field(extra)
                .field(item.mode.to_le_bytes())
                .field(item.owner.uid.to_le_bytes())
                .field(item.owner.gid.to_le_bytes())
                .field([u8::from(item.merge)]);
            // Only plans with links say so: keys of plans without keep
            // the form they were first made with.
            if let ItemKind::File {
                hardlink_of: Some(first),
                ..
            } = &item.kind
            {
                h.field("hardlink").field(first);
            }
        }
        h.finish()
    }
}
