//! The build-wide settings every RUN gets, as buildx passes them to each
//! exec: `--add-host NAME:IP` (lines of a generated /etc/hosts, bound over
//! the image's), `--ulimit NAME=SOFT[:HARD]` (the process's rlimits) and
//! `--shm-size` (the size of /dev/shm, a tmpfs). BuildKit keeps them in
//! the exec op, so they are part of its key; each enters ours only when
//! set, so the keys of builds without them stay what they were.

use std::path::Path;

use strata_executor::{Mount, RunSpec, TmpfsOptions};

use super::{BuildError, BuildOptions};
use crate::cache::KeyInputs;

/// BuildKit's /etc/hosts for a RUN (executor/oci/hosts.go), before the
/// extra hosts.
const DEFAULT_HOSTS: &str =
    "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n";

pub(super) fn key_inputs(opts: &BuildOptions, inputs: &mut KeyInputs) {
    if !opts.add_hosts.is_empty() {
        inputs.extra.insert("add_hosts".into(), hosts_file(opts));
    }
    if !opts.ulimits.is_empty() {
        // The executor's serde form: `{"resource":"Nofile","soft":1024,...}`.
        let text = serde_json::to_string(&opts.ulimits).unwrap_or_default();
        inputs.extra.insert("ulimits".into(), text);
    }
    if let Some(size) = opts.shm_size {
        inputs.extra.insert("shm_size".into(), size.to_string());
    }
}

fn hosts_file(opts: &BuildOptions) -> String {
    let mut text = DEFAULT_HOSTS.to_string();
    for (name, ip) in &opts.add_hosts {
        text.push_str(&format!("{ip}\t{name}\n"));
    }
    text
}

pub(super) fn apply(
    opts: &BuildOptions,
    spec: &mut RunSpec,
    scratch: &Path,
) -> Result<(), BuildError> {
    spec.ulimits.extend(opts.ulimits.iter().copied());
    if !opts.add_hosts.is_empty() {
        std::fs::create_dir_all(scratch).map_err(BuildError::io(scratch))?;
        let file = scratch.join("hosts");
        std::fs::write(&file, hosts_file(opts)).map_err(BuildError::io(&file))?;
        spec.mounts.push(Mount::Bind {
            source: file,
            target: "/etc/hosts".into(),
            readonly: false,
            options: Default::default(),
        });
    }
    if let Some(size) = opts.shm_size {
        // Over the sandbox's own /dev/shm, with Docker's flags for it.
        spec.mounts.push(Mount::Tmpfs {
            target: "/dev/shm".into(),
            size: Some(size),
            options: TmpfsOptions {
                mode: Some(0o1777),
                noexec: true,
                ..Default::default()
            },
        });
    }
    Ok(())
}
