//! `strata create`: a container record from an image and the flags, not
//! yet started.

use std::collections::BTreeMap;

use miette::{Result, miette};
use strata_containers::{
    Container, ContainerConfig, Containers, HealthConfig, RestartPolicy, Timestamp,
};
use strata_store::Store;

use super::{open, report};
use crate::cli::{ContainerArgs, CreateArgs, HealthArgs, HealthOnFailure};
use crate::cli_network::RunNetworkFlags;
use crate::commands::network::net_err;
use crate::commands::run::{ContainerFs, image_spec};
use crate::commands::store_open;
use crate::commands::{run_image, run_network};

/// What create needs, from `create` or `run`.
pub struct Request<'a> {
    pub image: &'a str,
    pub command: &'a [String],
    pub flags: &'a ContainerArgs,
    pub net: &'a RunNetworkFlags,
    pub name: Option<&'a str>,
    pub labels: &'a [String],
    pub auto_remove: bool,
    pub restart: RestartPolicy,
    pub stop_signal: Option<&'a str>,
    pub stop_timeout: Option<u64>,
    pub health: &'a HealthArgs,
}

pub fn create(store: &Store, args: &CreateArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = make(
        store,
        &containers,
        &Request {
            image: &args.image,
            command: &args.command,
            flags: &args.container,
            net: &args.net,
            name: args.name.as_deref(),
            labels: &args.labels,
            auto_remove: args.rm,
            restart: args.restart,
            stop_signal: args.stop_signal.as_deref(),
            stop_timeout: args.stop_timeout,
            health: &args.health,
        },
    )?;
    println!("{}", c.id());
    Ok(0)
}

pub fn make(store: &Store, containers: &Containers, req: &Request) -> Result<Container> {
    let labels = parse_labels(req.labels)?;
    let image = run_image::locate(store, req.image)?;
    let stop_signal = req.stop_signal.map(str::to_owned).or_else(|| {
        let cfg = image.config.config().as_ref()?;
        cfg.stop_signal().clone().filter(|s| !s.is_empty())
    });
    if let Some(sig) = &stop_signal {
        strata_containers::parse_signal(sig).map_err(report)?;
    }
    // Until the container pins its image, gc must not run.
    let _busy = store.lock_shared().map_err(store_open::report)?;
    let (id, dir) = containers.allocate();
    let dirs = ContainerFs {
        hostname: id[..12].to_owned(),
        upper: dir.join("upper"),
        work: dir.join("work"),
    };
    let spec = image_spec(store, &image, req.command, req.flags, &dirs, || {
        Ok(dir.join("empty"))
    })?;
    // The monitor fills in the id and the (then current) name.
    let network = run_network::request(
        &crate::commands::container::network_mode(req.flags),
        req.net,
        &run_network::exposed(&image),
        &id,
        "",
    )?;
    if let Some(net) = &network {
        check_networks(store, net)?;
    }
    let config = ContainerConfig {
        id,
        name: req.name.unwrap_or_default().to_owned(),
        image: req.image.to_owned(),
        image_digest: image.manifest_digest.to_string(),
        created: Timestamp::now(),
        labels,
        auto_remove: req.auto_remove,
        restart: req.restart,
        stop_signal,
        stop_timeout: req.stop_timeout,
        health: health_config(req.health),
        spec,
        network,
    };
    containers.create(config, &image).map_err(report)
}

/// docker refuses a container on a network that does not exist at create,
/// not at its first start. A host port published already is refused here
/// too, so a `run -d` that could not start leaves no container behind
/// (what holds a port at start is still caught then).
fn check_networks(store: &Store, net: &strata_network::Request) -> Result<()> {
    let networks = strata_network::Networks::new(store.root());
    for n in net.networks.iter().filter(|n| n.network != "bridge") {
        networks.get(&n.network).map_err(net_err)?;
    }
    strata_network::check_ports(store.root(), &net.ports).map_err(net_err)
}

/// `K=V`, or `K` for an empty value, as docker takes them.
fn parse_labels(given: &[String]) -> Result<BTreeMap<String, String>> {
    given
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            if k.is_empty() {
                return Err(miette!("bad label {l:?}: expected KEY=VALUE"));
            }
            Ok((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The healthcheck of `--health-cmd` and friends; none without a command
/// or with --no-healthcheck.
fn health_config(args: &HealthArgs) -> Option<HealthConfig> {
    let cmd = args.health_cmd.as_ref().filter(|_| !args.no_healthcheck)?;
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Some(HealthConfig {
        test: vec!["/bin/sh".to_owned(), "-c".to_owned(), cmd.clone()],
        interval_ms: ms(args.health_interval),
        timeout_ms: ms(args.health_timeout),
        retries: args.health_retries,
        start_period_ms: ms(args.health_start_period),
        kill_on_unhealthy: args.health_on_failure == HealthOnFailure::Kill,
    })
}
