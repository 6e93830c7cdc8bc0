//! `run --network bridge|NAME`: the container's namespace is made and
//! wired before the sandbox starts, and torn down when `run` ends.

use std::net::IpAddr;
use std::path::PathBuf;

use miette::{Result, miette};
use strata_executor::{Mount, Network, Rootfs, RunSpec};
use strata_network::{Attachment, NetRequest, PortMapping, Request};
use strata_store::Store;

use super::container::builtin_network;
use super::network::net_err;
use crate::cli::RunArgs;

/// A container's network, undone when its `run` ends.
pub enum RunNet {
    Bridge(Attachment),
    /// Ends with its drop.
    Pasta(strata_network::UserNet),
}

impl RunNet {
    pub fn teardown(self) -> Result<()> {
        match self {
            RunNet::Bridge(attachment) => attachment.teardown().map_err(net_err),
            RunNet::Pasta(net) => {
                drop(net);
                Ok(())
            }
        }
    }
}

/// Joins the container to the networks `--network` names, pointing
/// `spec` at the namespace and at the container's hosts and resolv.conf.
/// `None` for `host` and `none`.
pub fn attach(
    store: &Store,
    args: &RunArgs,
    container_id: &str,
    spec: &mut RunSpec,
) -> Result<Option<RunNet>> {
    let mode = args.container.network.as_str();
    if mode == "pasta" {
        return super::run_pasta::attach(store, args, container_id, spec)
            .map(|net| Some(RunNet::Pasta(net)));
    }
    attach_bridge(store, args, container_id, spec).map(|a| a.map(RunNet::Bridge))
}

fn attach_bridge(
    store: &Store,
    args: &RunArgs,
    container_id: &str,
    spec: &mut RunSpec,
) -> Result<Option<Attachment>> {
    let f = &args.net;
    let mode = args.container.network.as_str();
    if builtin_network(mode).is_some() {
        let needs_network = [
            (f.ip.is_some(), "--ip"),
            (!f.network_aliases.is_empty(), "--network-alias"),
            (!f.publish.is_empty(), "--publish"),
            (!f.add_hosts.is_empty(), "--add-host"),
            (!f.dns.is_empty(), "--dns"),
        ];
        if let Some((_, flag)) = needs_network.iter().find(|(given, _)| *given) {
            return Err(miette!(
                "{flag} needs a container network: add --network bridge, pasta or NAME (not {mode})"
            ));
        }
        return Ok(None);
    }
    if strata_executor::rootless::in_user_namespace() {
        return Err(miette!(
            "--network {mode}: bridge networks need root; rootless strata has --network pasta (its own namespace, outbound access and -p), host or none"
        ));
    }
    let names: Vec<&str> = mode.split(',').filter(|n| !n.is_empty()).collect();
    if names.iter().any(|n| builtin_network(n).is_some()) {
        return Err(miette!(
            "--network {mode}: host and none cannot be combined with networks"
        ));
    }
    let ip =
        f.ip.as_deref()
            .map(|ip| {
                ip.parse()
                    .map_err(|_| miette!("--ip {ip:?} is not an IPv4 address"))
            })
            .transpose()?;
    let networks = names
        .iter()
        .enumerate()
        .map(|(i, n)| NetRequest {
            network: (*n).to_owned(),
            ip: if i == 0 { ip } else { None },
            aliases: f.network_aliases.clone(),
        })
        .collect();
    let mut ports = Vec::new();
    for p in &f.publish {
        ports.extend(PortMapping::parse_all(p).map_err(|e| miette!("--publish {e}"))?);
    }
    let dns = f
        .dns
        .iter()
        .map(|d| {
            d.parse::<IpAddr>()
                .map_err(|_| miette!("--dns {d:?} is not an IP address"))
        })
        .collect::<Result<Vec<_>>>()?;
    let add_hosts = f
        .add_hosts
        .iter()
        .map(|h| parse_add_host(h))
        .collect::<Result<Vec<_>>>()?;
    let request = Request {
        container_id: container_id.to_owned(),
        name: spec.hostname.clone(),
        networks,
        ports,
        dns,
        add_hosts,
    };
    let attachment = Attachment::setup(store.root(), &request).map_err(net_err)?;
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
        });
    }
    Ok(Some(attachment))
}

/// `build --network bridge`: one namespace on the default network for
/// every RUN step of the build that does not ask for host or none.
pub fn for_build(store: &Store) -> Result<Attachment> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let request = Request {
        container_id: format!("build-{}-{nanos:x}", std::process::id()),
        name: "build".to_owned(),
        networks: vec![NetRequest {
            network: "bridge".to_owned(),
            ip: None,
            aliases: Vec::new(),
        }],
        ports: Vec::new(),
        dns: Vec::new(),
        add_hosts: Vec::new(),
    };
    Attachment::setup(store.root(), &request).map_err(net_err)
}

/// `NAME:IP`; the IP may be IPv6, so split at the first colon.
fn parse_add_host(text: &str) -> Result<(String, IpAddr)> {
    let (name, ip) = text
        .split_once(':')
        .ok_or_else(|| miette!("--add-host {text:?}: expected NAME:IP"))?;
    let ip = ip
        .parse()
        .map_err(|_| miette!("--add-host {text:?}: {ip:?} is not an IP address"))?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(miette!("--add-host {text:?}: bad host name"));
    }
    Ok((name.to_owned(), ip))
}
