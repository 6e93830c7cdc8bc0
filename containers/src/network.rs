//! A monitored container's networks: the monitor (the process that lives
//! exactly as long as one run of the container) attaches it before the
//! sandbox starts and tears the attachment down when the run ends, so the
//! attachment's owner is the monitor and a monitor killed with SIGKILL
//! leaves a record any later command can reap. With `--network pasta` the
//! attachment is a namespace of its own and the pasta serving it, which
//! the monitor starts (its child) and ends the same way; a fresh one each
//! run, as podman makes a new namespace and pasta at each start.

use std::path::PathBuf;

use strata_executor::{Mount, Network, Rootfs, RunSpec};
use strata_network::Attachment;

use crate::container::Container;
use crate::error::{ContainerError, IoContext};

/// Points `spec` at the attachment's namespace, its init layer and its
/// /etc/hosts and /etc/resolv.conf (bound over the image's, so neither
/// reaches the container's diff or a commit).
pub fn wire(spec: &mut RunSpec, attachment: &Attachment) {
    spec.network = Network::Namespace(attachment.netns().to_path_buf());
    if let Rootfs::Overlay { lower, .. } = &mut spec.rootfs {
        lower.push(attachment.init_layer());
    }
    for (source, target) in [
        (attachment.hosts(), "/etc/hosts"),
        (attachment.resolv_conf(), "/etc/resolv.conf"),
    ] {
        spec.mounts.push(Mount::Bind {
            source,
            target: PathBuf::from(target),
            readonly: false,
            options: Default::default(),
        });
    }
}

/// The spec one run of `c` starts, and its attachment when `c` asked for
/// networks. The name others resolve is the container's current name
/// (it may have been renamed since create).
pub(crate) fn attach(
    c: &Container,
    store_root: &std::path::Path,
) -> Result<(RunSpec, Option<Attachment>), ContainerError> {
    let mut spec = c.config.spec.clone();
    if let Some(target) = &c.config.network_container {
        crate::network_join::join(&mut spec, store_root, target)?;
        return Ok((spec, None));
    }
    let Some(wanted) = &c.config.network else {
        return Ok((spec, None));
    };
    let request = strata_network::Request {
        container_id: c.id().to_owned(),
        name: c.config.name.clone(),
        ..wanted.clone()
    };
    let attachment = if request.pasta {
        // pasta opens /dev/net/tun: it starts outside a devices cgroup
        // that would deny it.
        let start_in = strata_executor::outside_device_policy();
        Attachment::setup_pasta(store_root, &request, start_in.as_deref()).map_err(|e| match e {
            strata_network::Error::PastaMissing(_) => ContainerError::PastaMissing(e),
            e => e.into(),
        })?
    } else {
        Attachment::setup(store_root, &request)?
    };
    name_hostname(&attachment, &c.config.name, &spec.hostname)?;
    wire(&mut spec, &attachment);
    Ok((spec, Some(attachment)))
}

/// Docker's /etc/hosts names the container's hostname (its short id by
/// default) beside its name, so `hostname -i` and a lookup of its own
/// hostname work.
fn name_hostname(att: &Attachment, name: &str, hostname: &str) -> Result<(), ContainerError> {
    if hostname.is_empty() || hostname == name {
        return Ok(());
    }
    let path = att.hosts();
    let text = std::fs::read_to_string(&path).ctx("read", &path)?;
    let ips: Vec<String> = att
        .record()
        .networks
        .iter()
        .map(|a| a.ip.to_string())
        .collect();
    let named: String = text
        .lines()
        .map(|l| match l.split_once('\t') {
            Some((ip, n)) if n == name && ips.iter().any(|i| i == ip) => {
                format!("{l} {hostname}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&path, named).ctx("write", &path)
}

/// Changes the networks later starts of `c` join (`network connect` and
/// `disconnect`); with none left the container has only loopback, never
/// the host's network. The caller holds the container's lock.
pub fn set_networks(
    c: &Container,
    change: impl FnOnce(&mut Vec<strata_network::NetRequest>),
) -> Result<Container, ContainerError> {
    let mut config = c.config.clone();
    let Some(request) = &mut config.network else {
        return Err(ContainerError::NoNetworks(c.id().to_owned()));
    };
    change(&mut request.networks);
    if request.networks.is_empty() {
        config.network = None;
        config.spec.network = Network::None;
    }
    crate::container::write_json(&c.dir, "config.json", &config, true)?;
    Ok(Container {
        dir: c.dir.clone(),
        config,
    })
}
