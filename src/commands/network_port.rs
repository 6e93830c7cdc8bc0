//! `strata port CONTAINER [PRIVATE[/PROTO]]`: the host ports a running
//! container's ports are published on, as docker port prints them.

use miette::{Result, miette};
use strata_network::{Attachment, PortMapping};
use strata_store::Store;

use crate::cli_network::PortArgs;

pub fn port(store: &Store, args: &PortArgs) -> Result<i32> {
    let containers = strata_containers::Containers::open(store).map_err(|e| miette!("{e}"))?;
    let c = containers
        .find(&args.container)
        .map_err(|e| miette!("{e}"))?;
    let state = c.refresh().map_err(|e| miette!("{e}"))?;
    let ports = match Attachment::find(store.root(), c.id()) {
        Some(record) if state.status.is_active() => record.ports,
        _ => Vec::new(),
    };
    let Some(private) = &args.private else {
        for p in &ports {
            println!("{}/{} -> {}", p.container_port, p.protocol, host(p));
        }
        return Ok(0);
    };
    let (number, proto) = private.split_once('/').unwrap_or((private, "tcp"));
    let number: u16 = number
        .parse()
        .map_err(|_| miette!("{private:?} is not PORT or PORT/PROTO"))?;
    let found: Vec<&PortMapping> = ports
        .iter()
        .filter(|p| p.container_port == number && p.protocol == proto)
        .collect();
    if found.is_empty() {
        return Err(miette!(
            "no public port '{number}/{proto}' published for {}",
            args.container
        ));
    }
    for p in found {
        println!("{}", host(p));
    }
    Ok(0)
}

fn host(p: &PortMapping) -> String {
    let ip = p
        .host_ip
        .map_or_else(|| "0.0.0.0".to_owned(), |ip| ip.to_string());
    format!("{ip}:{}", p.host_port)
}
