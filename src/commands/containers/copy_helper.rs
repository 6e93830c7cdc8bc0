//! The hidden `strata container-cp ID`: `cp`'s container side. For a
//! running (or paused) container it joins the container's user and mount
//! namespaces, where `/` is the container's root with its volumes and
//! tmpfs; for a stopped one it mounts the container's overlay and binds
//! in a private namespace, so overlayfs handles the upper dir's whiteouts
//! (copying over a deleted file removes its whiteout) and a volume's path
//! writes into the volume. Either way every path resolves under that root.
//! Its stdin or stdout is the tar stream `cp` sends or reads.

use std::io::Write;
use std::path::PathBuf;

use miette::{Result, miette};
use strata_containers::copy::{self, CopyError, CopyPath, InRoot, Owners, Source};
use strata_containers::{ContainerState, Status};
use strata_store::Store;

use super::report;
use crate::cli::CpHelperArgs;

/// The JSON line `--out` writes before the tar: what the host side needs
/// to apply docker's rules.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct SourceLine {
    pub dir: bool,
    pub top: String,
}

pub fn cp_helper(store: &Store, args: &CpHelperArgs) -> Result<i32> {
    // The records only: no network reaping (its threads would keep us from
    // joining a user namespace).
    let containers = strata_containers::Containers::open(store).map_err(report)?;
    let c = containers.find(&args.id).map_err(report)?;
    let _lock;
    let root = if args.stopped {
        // No start may mount the same upper dir while our view does.
        _lock = c.lock().map_err(report)?;
        if running_init(&c.refresh().map_err(report)?).is_some() {
            return Err(miette!(
                "{} was started during the copy: try again",
                args.shown_as
            ));
        }
        strata_executor::mount_stopped_view(&c.config.spec)
            .map_err(|e| miette!("mount {}'s filesystem: {e}", args.shown_as))?
    } else {
        let state = c.refresh().map_err(report)?;
        let pid = running_init(&state)
            .ok_or_else(|| miette!("{} stopped during the copy: try again", args.shown_as))?;
        strata_executor::enter_container_mounts(pid)
            .map_err(|e| miette!("enter {}'s mount namespace: {e}", args.shown_as))?;
        PathBuf::from("/")
    };
    let root = InRoot::open(&root).map_err(|e| miette!("{e}"))?;
    match (&args.out, &args.into) {
        (Some(path), None) => pack(&root, &CopyPath::parse(&absolute(path)), args),
        (None, Some(path)) => unpack(&root, &CopyPath::parse(&absolute(path)), args),
        _ => Err(miette!("container-cp needs one of --out and --into")),
    }
}

/// The init's pid while the container's process runs (paused too).
pub(super) fn running_init(state: &ContainerState) -> Option<u32> {
    match (state.status, &state.init) {
        (Status::Running | Status::Paused | Status::Restarting, Some(init)) if init.is_alive() => {
            Some(init.pid)
        }
        _ => None,
    }
}

/// docker's container paths start at the container's root.
fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

fn pack(root: &InRoot, src: &CopyPath, args: &CpHelperArgs) -> Result<i32> {
    let missing = |e: CopyError| match e {
        CopyError::Missing(_) => miette!(
            "Could not find the file {} in container {}",
            src.path.display(),
            args.shown_as
        ),
        e => miette!("{e}"),
    };
    let kind = copy::source_kind(root, src, args.follow_link).map_err(missing)?;
    let line = SourceLine {
        dir: kind == copy::SourceKind::Dir,
        top: src.top_name(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let head = serde_json::to_string(&line).map_err(|e| miette!("{e}"))?;
    writeln!(out, "{head}").map_err(|e| miette!("write to cp: {e}"))?;
    copy::archive(root, src, args.follow_link, &mut out).map_err(missing)?;
    out.flush().map_err(|e| miette!("write to cp: {e}"))?;
    Ok(0)
}

fn unpack(root: &InRoot, dest: &CopyPath, args: &CpHelperArgs) -> Result<i32> {
    let source = args.source_top.as_ref().map(|top| Source {
        is_dir: args.source_dir,
        top: top.clone(),
        path: PathBuf::from(args.source_path.clone().unwrap_or_default()),
    });
    // Every rule is checked before the first byte of the stream is read.
    let plan = copy::plan(root, dest, source.as_ref()).map_err(|e| miette!("{e}"))?;
    let owners = if args.archive {
        Owners::Keep
    } else {
        Owners::Root
    };
    // A stream from `cp -` may be gzipped, as docker and podman accept.
    let input = copy::decompressed(std::io::stdin().lock()).map_err(|e| miette!("{e}"))?;
    copy::extract(root, &plan, owners, input).map_err(|e| miette!("{e}"))?;
    Ok(0)
}
