//! `run --network bridge|NAME`: the container's namespace is made and
//! wired before the sandbox starts, and torn down when `run` ends. A
//! monitored container's request is kept in its config instead, for its
//! monitor (strata_containers::monitor).

use std::net::IpAddr;

use miette::{Result, miette};
use strata_executor::RunSpec;
use strata_network::{Attachment, NetRequest, PortMapping, Request};
use strata_store::{Image, Store};

use super::container::builtin_network;
use super::network::net_err;
use crate::cli::RunArgs;
use crate::cli_network::RunNetworkFlags;

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
    image: &Image,
    container_id: &str,
    spec: &mut RunSpec,
) -> Result<Option<RunNet>> {
    let mode = super::container::network_mode(&args.container);
    if let Some(target) = super::network_container::target(store, &mode)? {
        // Refuses the flags that need a network of the container's own.
        request(&mode, &args.net, &[], container_id, "")?;
        strata_containers::join_container_network(spec, store.root(), &target)
            .map_err(super::containers::report)?;
        return Ok(None);
    }
    if mode == "pasta" {
        return super::run_pasta::attach(store, args, container_id, spec)
            .map(|net| Some(RunNet::Pasta(net)));
    }
    attach_bridge(store, args, image, container_id, spec).map(|a| a.map(RunNet::Bridge))
}

fn attach_bridge(
    store: &Store,
    args: &RunArgs,
    image: &Image,
    container_id: &str,
    spec: &mut RunSpec,
) -> Result<Option<Attachment>> {
    let Some(request) = request(
        &super::container::network_mode(&args.container),
        &args.net,
        &exposed(image),
        container_id,
        &spec.hostname,
    )?
    else {
        return Ok(None);
    };
    let attachment = Attachment::setup(store.root(), &request).map_err(net_err)?;
    strata_containers::wire(spec, &attachment);
    Ok(Some(attachment))
}

/// What `--network MODE` and its flags ask of the networks, for container
/// `container_id` found by `name`; `None` for `host` and `none` (and an
/// error if a flag needs a network then).
/// `exposed`: the image's EXPOSE ports, for `-P`.
pub fn request(
    mode: &str,
    f: &RunNetworkFlags,
    exposed: &[String],
    container_id: &str,
    name: &str,
) -> Result<Option<Request>> {
    // A monitored container's pasta is an attachment its monitor makes
    // (strata_network's pasta_attach.rs); the foreground `run`'s is
    // run_pasta.rs. Both take the same flags.
    if mode == "pasta" {
        super::run_pasta::refuse_unsupported(f)?;
        let names = names(f)?;
        return Ok(Some(Request {
            container_id: container_id.to_owned(),
            name: name.to_owned(),
            networks: Vec::new(),
            ports: publish(f, exposed)?,
            dns: names.dns,
            add_hosts: names.add_hosts,
            dns_search: names.dns_search,
            dns_options: names.dns_options,
            host_gateway: names.host_gateway,
            mac_address: None,
            pasta: true,
        }));
    }
    if builtin_network(mode).is_some() || super::network_container::is_container_mode(mode) {
        let needs_network = [
            (f.ip.is_some(), "--ip"),
            (!f.network_aliases.is_empty(), "--network-alias"),
            (!f.publish.is_empty(), "--publish"),
            (f.publish_all, "--publish-all"),
            (!f.add_hosts.is_empty(), "--add-host"),
            (!f.dns.is_empty(), "--dns"),
            (!f.dns_search.is_empty(), "--dns-search"),
            (!f.dns_options.is_empty(), "--dns-option"),
            (f.mac_address.is_some(), "--mac-address"),
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
            "--network {mode}: bridge networks need root; rootless strata has --network pasta (its own namespace with outbound access and -p; the default), host or none"
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
    let ports = publish(f, exposed)?;
    let names = self::names(f)?;
    if let Some(host) = names.host_gateway.first() {
        return Err(miette!(
            "--add-host {host}:host-gateway is for --network pasta, whose gateway is the host (on a bridge, give the address: --add-host {host}:IP)"
        ));
    }
    let mac_address = f.mac_address.as_deref().map(parse_mac).transpose()?;
    Ok(Some(Request {
        container_id: container_id.to_owned(),
        name: name.to_owned(),
        networks,
        ports,
        dns: names.dns,
        add_hosts: names.add_hosts,
        dns_search: names.dns_search,
        dns_options: names.dns_options,
        host_gateway: Vec::new(),
        mac_address,
        pasta: false,
    }))
}

/// `--dns`, `--dns-search`, `--dns-option` and `--add-host`, checked, as
/// a container's resolv.conf and hosts take them on a bridge or pasta.
pub(super) fn names(f: &RunNetworkFlags) -> Result<strata_network::PastaNames> {
    let dns = f
        .dns
        .iter()
        .map(|d| {
            d.parse::<IpAddr>()
                .map_err(|_| miette!("--dns {d:?} is not an IP address"))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut add_hosts = Vec::new();
    let mut host_gateway = Vec::new();
    for h in &f.add_hosts {
        match h.split_once(':') {
            Some((name, HOST_GATEWAY))
                if !name.is_empty() && !name.contains(char::is_whitespace) =>
            {
                host_gateway.push(name.to_owned())
            }
            _ => add_hosts.push(parse_add_host(h)?),
        }
    }
    if let Some(o) = f
        .dns_options
        .iter()
        .find(|o| o.is_empty() || o.contains(char::is_whitespace))
    {
        return Err(miette!(
            "--dns-option {o:?}: one option, like ndots:2, without spaces"
        ));
    }
    if let Some(d) = f
        .dns_search
        .iter()
        .find(|d| d.is_empty() || d.contains(char::is_whitespace))
    {
        return Err(miette!("--dns-search {d:?} is not a domain"));
    }
    Ok(strata_network::PastaNames {
        dns,
        dns_search: f.dns_search.clone(),
        dns_options: f.dns_options.clone(),
        add_hosts,
        host_gateway,
    })
}

/// docker's and podman's word for the host's address in `--add-host`.
const HOST_GATEWAY: &str = "host-gateway";

/// `-p` and, with `-P`, the image's EXPOSE ports (host port 0: the
/// reservation picks one).
fn publish(f: &RunNetworkFlags, exposed: &[String]) -> Result<Vec<PortMapping>> {
    let mut ports = Vec::new();
    for p in &f.publish {
        ports.extend(PortMapping::parse_all(p).map_err(|e| miette!("--publish {e}"))?);
    }
    if f.publish_all {
        for e in exposed {
            // A port -p publishes already keeps the host port it chose.
            let any = PortMapping::parse_all(e).map_err(|m| miette!("EXPOSE {m}"))?;
            for p in any {
                let published = ports
                    .iter()
                    .any(|q| q.container_port == p.container_port && q.protocol == p.protocol);
                if !published {
                    ports.push(p);
                }
            }
        }
    }
    Ok(ports)
}

/// The image's EXPOSE ports as docker records them: `80/tcp`, `53/udp`.
pub fn exposed(image: &Image) -> Vec<String> {
    image
        .config
        .config()
        .as_ref()
        .and_then(|c| c.exposed_ports().clone())
        .unwrap_or_default()
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
        dns_search: Vec::new(),
        dns_options: Vec::new(),
        host_gateway: Vec::new(),
        mac_address: None,
        pasta: false,
    };
    Attachment::setup(store.root(), &request).map_err(net_err)
}

/// `NAME:IP`; the IP may be IPv6, so split at the first colon.
pub(super) fn parse_add_host(text: &str) -> Result<(String, IpAddr)> {
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

/// `--mac-address`: six hex pairs split by colons, unicast (a multicast
/// address on an interface breaks ARP), in netavark's lower case.
fn parse_mac(s: &str) -> Result<String> {
    let octets: Vec<u8> = s
        .split(':')
        .map(|o| {
            (o.len() == 2)
                .then(|| u8::from_str_radix(o, 16).ok())
                .flatten()
        })
        .collect::<Option<_>>()
        .filter(|o: &Vec<u8>| o.len() == 6)
        .ok_or_else(|| {
            miette!("--mac-address {s:?} is not a MAC address (like 02:42:ac:11:00:02)")
        })?;
    if octets[0] & 1 == 1 {
        return Err(miette!(
            "--mac-address {s:?} is a multicast address: an interface needs a unicast one"
        ));
    }
    Ok(s.to_ascii_lowercase())
}
