//! `network connect [--alias] [--ip] NET CONTAINER`, `network disconnect
//! NET CONTAINER` and the disconnecting of `network rm -f`: the running
//! container changes at once (strata_network::connect), and its config
//! too, so its later starts join the same networks (docker keeps a
//! connection across restarts).

use miette::{Result, miette};
use strata_containers::{Container, Containers};
use strata_network::NetRequest;
use strata_store::Store;

use super::network::net_err;
use crate::cli_network::NetworkConnectArgs;

fn report(e: strata_containers::ContainerError) -> miette::Report {
    miette!("{e}")
}

fn find(store: &Store, name: &str) -> Result<Container> {
    Containers::open(store)
        .and_then(|cs| cs.find(name))
        .map_err(report)
}

/// The network's name as records hold it (`bridge` is `strata`).
fn canonical(store: &Store, network: &str) -> Result<String> {
    let nets = strata_network::Networks::new(store.root());
    if network == "bridge" || network == strata_network::DEFAULT_NETWORK {
        return Ok(strata_network::DEFAULT_NETWORK.to_owned());
    }
    Ok(nets.get(network).map_err(net_err)?.name)
}

fn same(request: &NetRequest, name: &str) -> bool {
    request.network == name
        || (name == strata_network::DEFAULT_NETWORK && request.network == "bridge")
}

pub fn connect(store: &Store, a: &NetworkConnectArgs) -> Result<i32> {
    let c = find(store, &a.container)?;
    let _lock = c.lock().map_err(report)?;
    let name = canonical(store, &a.network)?;
    let Some(wanted) = &c.config.network else {
        return Err(report(strata_containers::ContainerError::NoNetworks(
            c.config.name.clone(),
        )));
    };
    if wanted.pasta {
        // Its namespace is pasta's: a bridge's veth and routes would
        // fight pasta's copy of the host's address and routes.
        return Err(miette!(
            "container {} uses --network pasta, which cannot be connected to networks",
            c.config.name
        ));
    }
    if wanted.networks.iter().any(|r| same(r, &name)) {
        return Err(miette!(
            "container {} is already connected to network {name:?}",
            c.config.name
        ));
    }
    let ip =
        a.ip.as_deref()
            .map(|ip| {
                ip.parse()
                    .map_err(|_| miette!("--ip {ip:?} is not an IPv4 address"))
            })
            .transpose()?;
    let request = NetRequest {
        network: name,
        ip,
        aliases: a.aliases.clone(),
    };
    if c.refresh().map_err(report)?.status.is_active() {
        strata_network::connect(store.root(), c.id(), &request).map_err(net_err)?;
    }
    strata_containers::set_networks(&c, |nets| nets.push(request)).map_err(report)?;
    Ok(0)
}

pub fn disconnect(store: &Store, network: &str, container: &str) -> Result<i32> {
    let c = find(store, container)?;
    let _lock = c.lock().map_err(report)?;
    let name = canonical(store, network).unwrap_or_else(|_| network.to_owned());
    let in_config = c
        .config
        .network
        .as_ref()
        .is_some_and(|w| w.networks.iter().any(|r| same(r, &name)));
    let live = strata_network::connected(store.root(), c.id()).contains(&name);
    if !in_config && !live {
        return Err(miette!(
            "container {} is not connected to network {network:?}",
            c.config.name
        ));
    }
    if live {
        strata_network::disconnect(store.root(), c.id(), &name).map_err(net_err)?;
    }
    if in_config {
        strata_containers::set_networks(&c, |nets| nets.retain(|r| !same(r, &name)))
            .map_err(report)?;
    }
    Ok(0)
}

/// `network rm -f NET`: every container leaves it first, running or not.
pub fn disconnect_all(store: &Store, network: &str) -> Result<()> {
    let name = canonical(store, network)?;
    let containers = Containers::open(store).map_err(report)?;
    let mut live: Vec<String> = strata_network::Networks::new(store.root())
        .users(&name)
        .map_err(net_err)?;
    for c in containers.list().map_err(report)? {
        let _lock = c.lock().map_err(report)?;
        live.retain(|id| id != c.id());
        if strata_network::connected(store.root(), c.id()).contains(&name) {
            strata_network::disconnect(store.root(), c.id(), &name).map_err(net_err)?;
        }
        let uses = c
            .config
            .network
            .as_ref()
            .is_some_and(|w| w.networks.iter().any(|r| same(r, &name)));
        if uses {
            strata_containers::set_networks(&c, |nets| nets.retain(|r| !same(r, &name)))
                .map_err(report)?;
        }
    }
    // Foreground runs and builds on it have no container record.
    for id in live {
        strata_network::disconnect(store.root(), &id, &name).map_err(net_err)?;
    }
    Ok(())
}
