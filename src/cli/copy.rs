//! The grammar of `strata cp` and of its hidden helper, which works on
//! the container's side (in its mount namespace, or in a view of a
//! stopped container's filesystem).

use clap::Args;

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Keep the files' uid and gid (default: copied into a container they
    /// belong to its root, copied out to the user running strata).
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Follow a symlink that is the source itself.
    #[arg(short = 'L', long = "follow-link")]
    pub follow_link: bool,
    /// CONTAINER:PATH, a host path, or - (a tar stream on stdin).
    pub source: String,
    /// CONTAINER:PATH, a host path, or - (a tar stream on stdout).
    pub destination: String,
}

#[derive(Debug, Args)]
pub struct CpHelperArgs {
    /// The container is not running: mount a view of its filesystem
    /// (in the rootless namespace when rootless) instead of joining it.
    #[arg(long)]
    pub stopped: bool,
    /// Keep the stream's owners when unpacking.
    #[arg(long)]
    pub archive: bool,
    /// Follow the source's own symlink.
    #[arg(long)]
    pub follow_link: bool,
    /// Pack this path onto stdout (a JSON line on the source, then a tar).
    #[arg(long, value_name = "PATH", conflicts_with = "into")]
    pub out: Option<String>,
    /// Unpack stdin's tar at this path, as docker's rules say.
    #[arg(long, value_name = "PATH")]
    pub into: Option<String>,
    /// With --into: the stream's source is a directory.
    #[arg(long)]
    pub source_dir: bool,
    /// With --into: the stream's top name (absent: a raw tar stream).
    #[arg(long, value_name = "NAME")]
    pub source_top: Option<String>,
    /// With --into: the source as the user wrote it (for messages).
    #[arg(long, value_name = "PATH")]
    pub source_path: Option<String>,
    /// The name the user gave the container (for messages).
    #[arg(long)]
    pub shown_as: String,
    /// The container's full id.
    pub id: String,
}
