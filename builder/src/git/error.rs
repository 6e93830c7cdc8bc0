//! What can go wrong with a git source; each names the repository.

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git {remote}: {message}")]
    Git { remote: String, message: String },
    #[error("git {remote}: ref {reference:?} not found (not a branch, a tag or a full commit)")]
    RefNotFound { remote: String, reference: String },
    #[error("git {remote}: commit {commit} does not match --checksum={want}")]
    Checksum {
        remote: String,
        commit: String,
        want: String,
    },
    #[error("git {remote}#{commit}: subdirectory {subdir:?} is not a directory of the repository")]
    NoSubdir {
        remote: String,
        commit: String,
        subdir: String,
    },
    #[error(transparent)]
    Cache(#[from] crate::cache::RecordError),
    #[error("running git: {0} (is git installed?)")]
    Spawn(std::io::Error),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GitError {
    pub(crate) fn io(path: impl Into<std::path::PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
