//! `strata cp`'s file side: a source packed into a tar stream, a tar
//! stream unpacked at a destination, and docker's rules that say where
//! (SRC_PATH/DEST_PATH: trailing `/`, `/.`, a missing destination, a file
//! onto a directory). The same code runs on both sides: in the container,
//! every path is resolved under its root (openat2 RESOLVE_IN_ROOT, so a
//! symlink to /etc is the container's /etc); on the host, under `/`.

mod archive;
mod error;
mod extract;
mod in_root;
mod rules;

pub use archive::{SourceKind, archive, source_kind};
pub use error::CopyError;
pub use extract::{Owners, decompressed, extract};
pub use in_root::InRoot;
pub use rules::{CopyPath, Plan, Source, plan};
