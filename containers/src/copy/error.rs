use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not find {}: no such file or directory", .0.display())]
    Missing(PathBuf),
    #[error("{}: not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot overwrite non-directory {} with directory {}", dest.display(), source_path.display())]
    DirOntoFile { dest: PathBuf, source_path: PathBuf },
    #[error("invalid destination: {} must be a directory or a regular file", .0.display())]
    NotFileOrDir(PathBuf),
    #[error("the destination directory {} must exist", .0.display())]
    MissingDirectory(PathBuf),
    #[error("cannot overwrite directory {} with a non-directory", .0.display())]
    FileOntoDir(PathBuf),
    #[error("destination must be a directory when copying from stdin: {} is none", .0.display())]
    StreamNotIntoDir(PathBuf),
    #[error("tar entry {0:?} leads out of the destination")]
    Outside(String),
    #[error("read the tar stream: {0}")]
    Tar(#[source] std::io::Error),
}

pub(super) trait IoAt<T> {
    fn at(self, path: &std::path::Path) -> Result<T, CopyError>;
}

impl<T, E: Into<std::io::Error>> IoAt<T> for Result<T, E> {
    fn at(self, path: &std::path::Path) -> Result<T, CopyError> {
        self.map_err(|e| CopyError::Io {
            path: path.to_owned(),
            source: e.into(),
        })
    }
}
