//! strata's own wiring for networks without DNS (the default network, as
//! docker's bridge): a veth pair and addresses through iproute2, the
//! firewall as elements of one nftables table. netavark 1.4 runs iptables
//! a few hundred times per container (424 execs in one setup with a
//! published port, 232 in its teardown); here a container costs two `ip`
//! batches and, with published ports, one `nft` transaction each way.
//! Networks with DNS stay netavark's: their names live in aardvark-dns's
//! files, which are netavark's private format.
//!
//! The network's own part (its bridge and its rules) is made by the
//! first container that joins, under the networks lock, and stays while
//! the network does, as docker0 does: making and unmaking it around
//! every `run --rm` cost more than the container's own wiring.

mod firewall;
mod ip;
mod tool;

use std::net::Ipv4Addr;
use std::path::Path;

use crate::PortMapping;
use crate::error::Result;
use crate::lock::Locked;
use crate::record::NetworkRecord;

/// Makes the network's bridge and rules unless its bridge exists.
pub(crate) fn ensure_network(_locked: &Locked, net: &NetworkRecord) -> Result<()> {
    if ip::link_exists(&net.interface) {
        return Ok(());
    }
    ip::host_batch(&[
        format!("link add {} type bridge", net.interface),
        format!(
            "addr add {}/{} dev {}",
            net.gateway,
            net.subnet.prefix_len(),
            net.interface
        ),
        format!("link set {} up", net.interface),
    ])?;
    // Forwarding for the way out; route_localnet so a connection to
    // 127.0.0.1:HOSTPORT can be sent on to the container (and then
    // masqueraded to the bridge's address).
    ip::sysctl("net/ipv4/ip_forward", "1")?;
    ip::sysctl(
        &format!("net/ipv4/conf/{}/route_localnet", net.interface),
        "1",
    )?;
    firewall::add_network(net)
}

/// Takes the network's bridge and rules away (the network is removed).
pub(crate) fn retire_network(_locked: &Locked, net: &NetworkRecord) -> Result<()> {
    let rules = firewall::remove_network(net);
    let link = if ip::link_exists(&net.interface) {
        ip::host_batch(&[format!("link del {}", net.interface)])
    } else {
        Ok(())
    };
    rules.and(link)
}

/// What [`wire`] needs of one network place.
pub(crate) struct Place<'a> {
    pub net: &'a NetworkRecord,
    pub ip: Ipv4Addr,
    /// `ethN` in the container.
    pub interface: &'a str,
    /// The host end's name.
    pub veth: &'a str,
    /// The first network of the container routes its way out.
    pub default_route: bool,
    /// `--mac-address` of the container's end.
    pub mac: Option<&'a str>,
}

/// Puts a veth pair between the network's bridge and namespace `netns`.
pub(crate) fn wire(netns: &Path, place: &Place) -> Result<()> {
    let address = place
        .mac
        .map(|m| format!(" address {m}"))
        .unwrap_or_default();
    ip::host_batch(&[
        format!(
            "link add {} type veth peer name {}{address} netns {}",
            place.veth,
            place.interface,
            netns.display()
        ),
        format!("link set {} master {} up", place.veth, place.net.interface),
    ])?;
    let mut inside = vec![
        "link set lo up".to_owned(),
        format!(
            "addr add {}/{} dev {}",
            place.ip,
            place.net.subnet.prefix_len(),
            place.interface
        ),
        format!("link set {} up", place.interface),
    ];
    if place.default_route && !place.net.internal {
        inside.push(format!("route add default via {}", place.net.gateway));
    }
    if let Err(e) = ip::netns_batch(netns, &inside) {
        let _ = unwire(place.veth);
        return Err(e);
    }
    Ok(())
}

/// Deletes the host end (and with it the container's end).
pub(crate) fn unwire(veth: &str) -> Result<()> {
    if ip::link_exists(veth) {
        ip::host_batch(&[format!("link del {veth}")])?;
    }
    Ok(())
}

/// Publishes `ports` of the container at `ip`.
pub(crate) fn publish(ip: Ipv4Addr, ports: &[PortMapping]) -> Result<()> {
    firewall::add_ports(ip, ports)
}

/// Withdraws what [`publish`] published.
pub(crate) fn unpublish(ports: &[PortMapping]) -> Result<()> {
    firewall::remove_ports(ports)
}

/// A host-end name: `sv` and 12 hex digits (interface names have 15).
pub(crate) fn veth_name() -> Result<String> {
    Ok(format!("sv{}", &crate::atomic::random_id()?[..12]))
}
