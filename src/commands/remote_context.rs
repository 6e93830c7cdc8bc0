//! `strata build URL`: a git repository or an http(s) download as the
//! build context (fetched by the builder into a temporary directory that
//! lives as long as the build), and where its Dockerfile is read from.

use std::path::Path;

use miette::{Result, miette};
use strata_builder::context::remote::{RemoteContext, fetch_context};
use strata_builder::ssh::SshAgents;
use strata_store::Store;

use crate::cli::BuildArgs;

/// The context `arg` names when it is a URL; None for a directory. A git
/// remote over ssh authenticates with the `--ssh default` agent.
pub fn fetch(store: &Store, arg: &Path, ssh: &SshAgents) -> Result<Option<RemoteContext>> {
    let Some(source) = arg.to_str() else {
        return Ok(None);
    };
    let agent = ssh.sockets().get("default").cloned();
    fetch_context(store, source, agent.as_deref()).map_err(|e| miette!("{e}"))
}

/// The Dockerfile of a URL context: the downloaded body when it was one,
/// else `-f FILE` read inside the fetched context (as `docker build URL`
/// takes it); None leaves the usual rules to the caller.
pub fn dockerfile(remote: Option<&RemoteContext>, args: &BuildArgs) -> Result<Option<String>> {
    let Some(remote) = remote else {
        return Ok(None);
    };
    if let Some(text) = &remote.dockerfile {
        return Ok(Some(text.clone()));
    }
    match &args.file {
        Some(f) if f.as_os_str() != "-" && f.is_relative() => {
            super::dockerfile_input::read_in(remote.path(), f).map(Some)
        }
        _ => Ok(None),
    }
}
