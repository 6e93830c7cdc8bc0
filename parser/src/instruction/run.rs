//! `RUN [--mount=...] [--network=...] [--security=...] [--device=...] CMD`.

use serde::Serialize;

use super::flags::{Kind, parse_flags};
use super::mount::{Mount, parse_mount};
use super::{Command, command};
use crate::ast::{Heredoc, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    Default,
    None,
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    Sandbox,
    Insecure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub command: Command,
    pub mounts: Vec<Mount>,
    /// The `--mount` values as written, expanded and parsed again at build
    /// time (values may use ARG/ENV).
    pub mount_specs: Vec<String>,
    pub network: Option<NetworkMode>,
    pub security: Option<Security>,
    pub devices: Vec<String>,
    pub heredocs: Vec<Heredoc>,
}

pub(super) fn parse(node: &Node, values: &[&str], heredocs: &[Heredoc]) -> Result<Run, String> {
    let flags = parse_flags(
        &node.flags,
        &[
            ("mount", Kind::List),
            ("network", Kind::String),
            ("security", Kind::String),
            ("device", Kind::List),
        ],
    )?;
    if values.is_empty() && !node.json {
        return Err("RUN requires at least one argument".into());
    }
    let mount_specs = flags.list("mount");
    let mounts = mount_specs
        .iter()
        .map(|m| parse_mount(m))
        .collect::<Result<Vec<_>, _>>()?;
    let network = match flags.string("network").as_deref() {
        None => None,
        Some("default") => Some(NetworkMode::Default),
        Some("none") => Some(NetworkMode::None),
        Some("host") => Some(NetworkMode::Host),
        Some(o) => return Err(format!("unsupported network mode \"{o}\"")),
    };
    let security = match flags.string("security").as_deref() {
        None => None,
        Some("sandbox") => Some(Security::Sandbox),
        Some("insecure") => Some(Security::Insecure),
        Some(o) => return Err(format!("unsupported security mode \"{o}\"")),
    };
    let devices = flags.list("device");
    // A malformed --device is the Dockerfile's error, at its line, before
    // anything is built (BuildKit's parse hook).
    for d in &devices {
        super::run_device::parse_device(d)?;
    }
    Ok(Run {
        command: command(node, values),
        mounts,
        mount_specs,
        network,
        security,
        devices,
        heredocs: heredocs.to_vec(),
    })
}
