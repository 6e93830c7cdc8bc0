//! `strata compose port [--protocol P] [--index N] SERVICE PRIVATE_PORT`:
//! the host address the service's container N publishes the port on, as
//! docker compose prints it (`0.0.0.0:8080`).

use miette::{Result, miette};
use strata_network::Attachment;
use strata_store::Store;

use super::labels;
use crate::cli::{ComposeArgs, ComposePortArgs};
use crate::commands::containers::{self as ctr, report};

pub fn run(store: &Store, args: &ComposeArgs, a: &ComposePortArgs) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    let service = a.service.as_str();
    scope.check_services(std::slice::from_ref(&a.service))?;
    let containers = ctr::open(store)?;
    let c = scope
        .containers(&containers, std::slice::from_ref(&a.service))?
        .into_iter()
        .find(|c| labels::number_of(c) == a.index)
        .ok_or_else(|| miette!("service {service:?} has no container #{}", a.index))?;
    let ports = match Attachment::find(store.root(), c.id()) {
        Some(record) if c.refresh().map_err(report)?.status.is_active() => record.ports,
        _ => Vec::new(),
    };
    let found = ports
        .iter()
        .find(|p| p.container_port == a.private_port && p.protocol == a.protocol)
        .ok_or_else(|| {
            miette!(
                "no port {}/{} published for service {service:?} (container {})",
                a.private_port,
                a.protocol,
                c.config.name
            )
        })?;
    let ip = found
        .host_ip
        .map_or_else(|| "0.0.0.0".to_owned(), |ip| ip.to_string());
    println!("{ip}:{}", found.host_port);
    Ok(0)
}
