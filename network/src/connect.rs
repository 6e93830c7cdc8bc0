//! `network connect` and `network disconnect` of a running container: one
//! network added to (or taken from) its live attachment. netavark sets up
//! or tears down just that network in the container's namespace; the
//! record on disk changes with it, and the attachment's owner (the
//! monitor) re-reads it before its own teardown. The container's
//! /etc/hosts and resolv.conf are bind-mounted, so they are rewritten in
//! place, not replaced.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use crate::attach::{Attached, Attachment, NetRequest, Wiring, attached_dir, read_record};
use crate::error::{Error, Result, io};
use crate::record::{DEFAULT_NETWORK, NetworkRecord, Networks};
use crate::{ipam, native, netavark};

/// The live attachment of `container_id`, which dropping leaves alone.
fn open(store_root: &Path, container_id: &str) -> Result<Attachment> {
    let nets = Networks::new(store_root);
    let dir = attached_dir(&nets, container_id);
    let path = dir.join("record.json");
    if !path.exists() {
        return Err(Error::NotAttached(container_id.to_owned()));
    }
    let mut att = Attachment::load(nets, dir, path)?;
    att.done = true;
    // Name every interface, so one set up alone keeps its name.
    for (i, a) in att.record.networks.iter_mut().enumerate() {
        a.interface.get_or_insert_with(|| format!("eth{i}"));
    }
    Ok(att)
}

fn network(nets: &Networks, name: &str) -> Result<NetworkRecord> {
    if name == "bridge" || name == DEFAULT_NETWORK {
        nets.ensure_default()
    } else {
        nets.get(name)
    }
}

/// Adds network `req` to running container `container_id`; returns its
/// place there.
pub fn connect(store_root: &Path, container_id: &str, req: &NetRequest) -> Result<Attached> {
    let mut att = open(store_root, container_id)?;
    let network = network(&att.nets, &req.network)?;
    if att
        .record
        .networks
        .iter()
        .any(|a| a.network.name == network.name)
    {
        return Err(Error::AlreadyConnected {
            container: container_id.to_owned(),
            network: network.name,
        });
    }
    let used: Vec<Option<String>> = att
        .record
        .networks
        .iter()
        .map(|a| a.interface.clone())
        .collect();
    let interface = (0..)
        .map(|i| format!("eth{i}"))
        .find(|n| !used.contains(&Some(n.clone())))
        .unwrap_or_default();
    let wiring = Wiring::for_network(&network)?;
    let ip = {
        let locked = att.nets.lock()?;
        let ip = ipam::allocate(&locked, att.nets.dir(), &network, container_id, req.ip)?;
        if wiring != Wiring::Netavark
            && let Err(e) = native::ensure_network(&locked, &network)
        {
            ipam::release(&locked, att.nets.dir(), &network.name, ip, container_id)?;
            return Err(e);
        }
        ip
    };
    let mut aliases = vec![att.record.name.clone()];
    aliases.extend(req.aliases.iter().cloned());
    // With no network publishing the ports (the one that did was
    // disconnected), this one does, as podman's reconnect does.
    let with_ports = !att.record.networks.iter().any(|a| a.with_ports);
    let added = Attached {
        network,
        ip,
        aliases,
        interface: Some(interface),
        with_ports,
        wiring,
        mac: None,
    };
    let made = match &added.wiring {
        Wiring::Netavark => {
            let input = att.options_for(std::slice::from_ref(&added), with_ports);
            netavark::setup(&att.netavark_dir(), &att.record.netns, &input)
        }
        Wiring::Strata { veth } => wire_native(&att, &added, veth).map(|()| BTreeMap::new()),
    };
    let status = match made {
        Ok(s) => s,
        Err(e) => {
            let locked = att.nets.lock()?;
            ipam::release(
                &locked,
                att.nets.dir(),
                &added.network.name,
                ip,
                container_id,
            )?;
            return Err(e);
        }
    };
    att.record.networks.push(added.clone());
    att.save()?;
    // As at setup: the peers on the network find it once connect returns.
    let servers: Vec<IpAddr> = status
        .values()
        .flat_map(|s| s.dns_server_ips.iter().flatten().copied())
        .collect();
    if let Some(server) = servers.first() {
        crate::dns_ready::wait_for(*server, &att.record.name, std::time::Duration::from_secs(2));
    }
    let name = att.record.name.clone();
    edit_in_place(&att.hosts(), |text| format!("{text}{ip}\t{name}\n"))?;
    if att.record.dns.is_empty() {
        edit_in_place(&att.resolv_conf(), |text| {
            let mut text = text.to_owned();
            for ns in &servers {
                let line = format!("nameserver {ns}\n");
                if !text.contains(&line) {
                    text.push_str(&line);
                }
            }
            text
        })?;
    }
    Ok(added)
}

/// Takes network `name` away from running container `container_id`.
pub fn disconnect(store_root: &Path, container_id: &str, name: &str) -> Result<()> {
    let mut att = open(store_root, container_id)?;
    let wanted = if name == "bridge" {
        DEFAULT_NETWORK
    } else {
        name
    };
    let Some(pos) = att
        .record
        .networks
        .iter()
        .position(|a| a.network.name == wanted || a.network.id == wanted)
    else {
        return Err(Error::NotConnected {
            container: container_id.to_owned(),
            network: name.to_owned(),
        });
    };
    let gone = att.record.networks[pos].clone();
    match &gone.wiring {
        Wiring::Netavark => {
            let input = att.options_for(std::slice::from_ref(&gone), gone.with_ports);
            if att.record.netns.exists() {
                netavark::teardown(&att.netavark_dir(), &att.record.netns, &input)?;
            }
        }
        Wiring::Strata { veth } => {
            if gone.with_ports {
                native::unpublish(&att.record.ports)?;
            }
            native::unwire(veth)?;
        }
    }
    att.record.networks.remove(pos);
    {
        // The host ports stay the container's until it stops: a network
        // connected later publishes them again.
        let locked = att.nets.lock()?;
        ipam::release(
            &locked,
            att.nets.dir(),
            &gone.network.name,
            gone.ip,
            container_id,
        )?;
        att.save()?;
    }
    let prefix = format!("{}\t", gone.ip);
    edit_in_place(&att.hosts(), |text| {
        text.lines()
            .filter(|l| !l.starts_with(&prefix))
            .map(|l| format!("{l}\n"))
            .collect()
    })?;
    let server = format!("nameserver {}", gone.network.gateway);
    edit_in_place(&att.resolv_conf(), |text| {
        text.lines()
            .filter(|l| l.trim() != server)
            .map(|l| format!("{l}\n"))
            .collect()
    })?;
    Ok(())
}

/// The networks running container `container_id` is on, by name.
pub fn connected(store_root: &Path, container_id: &str) -> Vec<String> {
    let dir = attached_dir(&Networks::new(store_root), container_id);
    read_record(&dir.join("record.json"))
        .map(|r| r.networks.into_iter().map(|a| a.network.name).collect())
        .unwrap_or_default()
}

/// Rewrites a file the container has bind-mounted: same inode.
fn edit_in_place(path: &Path, change: impl FnOnce(&str) -> String) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(io("read", path))?;
    std::fs::write(path, change(&text)).map_err(io("write", path))
}

/// strata's own wiring of one network added to a running container: its
/// way out only if it is the container's first network.
fn wire_native(att: &Attachment, added: &Attached, veth: &str) -> Result<()> {
    native::wire(
        &att.record.netns,
        &native::Place {
            net: &added.network,
            ip: added.ip,
            interface: added.interface.as_deref().unwrap_or("eth0"),
            veth,
            default_route: att.record.networks.is_empty(),
            mac: added.mac.as_deref(),
        },
    )?;
    if added.with_ports
        && let Err(e) = native::publish(added.ip, &att.record.ports)
    {
        let _ = native::unwire(veth);
        return Err(e);
    }
    Ok(())
}
