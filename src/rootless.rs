//! Rootless strata: as a user other than root, every command that reads or
//! writes the store first enters a user namespace in which that user is
//! root (see `strata_executor::rootless`). The store's files then carry the
//! image's owners inside the namespace, which are the user's subordinate
//! ids outside, as in buildah's and podman's rootless storage.

use miette::{Result, miette};
use strata_executor::rootless::{self, IdMapping};
use strata_store::Store;

use crate::cli::{Cli, Command};

/// Enters the namespace when this command needs it. Call before anything
/// starts a thread.
pub fn enter(cli: &mut Cli) -> Result<()> {
    if !rootless::needed() || !uses_store(&cli.command) {
        return Ok(());
    }
    // Inside, the user is root, whose default store is /var/lib/strata.
    cli.root.get_or_insert_with(Store::default_root);
    let mapping = rootless::enter().map_err(|e| miette!("{e}"))?;
    if let IdMapping::Single { uid, gid } = mapping
        && writes_owned_files(&cli.command)
    {
        eprintln!("{}", single_id_warning(uid, gid));
    }
    Ok(())
}

fn uses_store(command: &Command) -> bool {
    // cp's helper for a stopped container mounts its overlay, in our
    // namespace; for a running one it joins the container's, as exec.
    if let Command::ContainerCp(a) = command {
        return a.stopped;
    }
    !matches!(
        command,
        Command::Parse(_)
            | Command::Check(_)
            | Command::Sandbox(_)
            | Command::Login(_)
            | Command::Logout(_)
            // exec joins the container's user namespace, which only the
            // user itself (its owner, in the initial namespace) may enter:
            // a sibling namespace of ours has no rights in it.
            | Command::Exec(_)
            // cp reads the records and leaves the files to its helper.
            | Command::Cp(_)
    )
}

/// The commands that unpack layers or make files with an image's owners.
fn writes_owned_files(command: &Command) -> bool {
    matches!(
        command,
        Command::Build(_) | Command::Import(_) | Command::Pull(_) | Command::Run(_)
    )
}

fn single_id_warning(uid: u32, gid: u32) -> String {
    format!(
        "warning: rootless without subordinate ids (none for uid {uid} in /etc/subuid and \
         /etc/subgid, or no newuidmap/newgidmap): the user namespace maps only root, onto uid \
         {uid} and gid {gid}. No other owner can exist: a file that needs one (COPY --chown, \
         ADD of a tar, a base image's layers) fails naming the file and its owner, and so do \
         RUN chown and RUN as another USER. Give the user ranges with \
         `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $(id -un)`."
    )
}
