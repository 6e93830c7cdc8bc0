//! `strata create`: a container record from an image and the flags, not
//! yet started.

use std::collections::BTreeMap;

use miette::{Result, miette};
use strata_containers::{Container, ContainerConfig, Containers, Timestamp};
use strata_store::Store;

use super::{open, report};
use crate::cli::{ContainerArgs, CreateArgs, RecordArgs, TerminalArgs};
use crate::cli_network::RunNetworkFlags;
use crate::commands::cidfile::CidFile;
use crate::commands::network::net_err;
use crate::commands::run::{ContainerFs, image_spec};
use crate::commands::store_open;
use crate::commands::{run_image, run_network};

/// What create needs, from `create` or `run`.
pub struct Request<'a> {
    pub image: &'a str,
    /// Which platform's image of an index (default: this machine's).
    pub platform: Option<&'a strata_store::Platform>,
    pub command: &'a [String],
    pub flags: &'a ContainerArgs,
    pub net: &'a RunNetworkFlags,
    /// Name, labels, id file, restart policy, stop and healthcheck.
    pub record: &'a RecordArgs,
    pub auto_remove: bool,
    pub terminal: &'a TerminalArgs,
    /// The first attached client's end of input closes the process's stdin.
    pub stdin_once: bool,
}

pub fn create(store: &Store, args: &CreateArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = make(
        store,
        &containers,
        &Request {
            image: &args.image,
            platform: args.platform.as_ref(),
            command: &args.command,
            flags: &args.container,
            net: &args.net,
            record: &args.record,
            auto_remove: args.rm,
            terminal: &args.terminal,
            // As docker's create -i: a later `start -ai` owns the input.
            stdin_once: args.terminal.interactive,
        },
    )?;
    println!("{}", c.id());
    Ok(0)
}

pub fn make(store: &Store, containers: &Containers, req: &Request) -> Result<Container> {
    let record = req.record;
    let cidfile = record.cidfile.as_deref().map(CidFile::claim).transpose()?;
    let mut given = Vec::new();
    for file in &record.label_files {
        given.extend(file.0.iter().cloned());
    }
    // -l after the files, so it wins, as docker's.
    given.extend(record.labels.iter().cloned());
    let labels = parse_labels(&given)?;
    let image = run_image::locate_for(store, req.image, req.platform)?;
    let stop_signal = record.stop_signal.clone().or_else(|| {
        let cfg = image.config.config().as_ref()?;
        cfg.stop_signal().clone().filter(|s| !s.is_empty())
    });
    if let Some(sig) = &stop_signal {
        strata_containers::parse_signal(sig).map_err(report)?;
    }
    // Until the container pins its image, gc must not run; until its
    // record names its volumes, nothing may remove them.
    let _busy = store.lock_shared().map_err(store_open::report)?;
    let _volume_users = strata_containers::Volumes::open(store)
        .and_then(|v| v.users_lock())
        .map_err(report)?;
    let (id, dir) = containers.allocate();
    let dirs = ContainerFs {
        hostname: id[..12].to_owned(),
        upper: dir.join("upper"),
        work: dir.join("work"),
    };
    let mut spec = image_spec(store, &image, req.command, req.flags, &dirs, || {
        Ok(dir.join("empty"))
    })?;
    spec.tty = req.terminal.tty;
    if spec.tty && !spec.env.iter().any(|e| e.starts_with("TERM=")) {
        spec.env.push("TERM=xterm".to_owned());
    }
    // The monitor fills in the id and the (then current) name.
    let mode = crate::commands::container::network_mode(req.flags);
    let network_container = crate::commands::network_container::target(store, &mode)?;
    let network = run_network::request(&mode, req.net, &run_network::exposed(&image), &id, "")?;
    if let Some(net) = &network {
        check_networks(store, net)?;
    }
    let config = ContainerConfig {
        id,
        name: record.name.clone().unwrap_or_default(),
        image: req.image.to_owned(),
        image_digest: image.manifest_digest,
        created: Timestamp::now(),
        labels,
        auto_remove: req.auto_remove,
        restart: record.restart,
        stop_signal,
        stop_timeout: record.stop_timeout,
        health: super::health_config::health_config(store, &image, &record.health)?,
        // Absolute: rm may run in another directory.
        cidfile: record
            .cidfile
            .as_deref()
            .map(std::path::absolute)
            .transpose()
            .map_err(|e| miette!("--cidfile: {e}"))?,
        stdin_open: req.terminal.interactive,
        stdin_once: req.terminal.interactive && req.stdin_once,
        spec,
        network,
        network_container,
    };
    let c = containers.create(config, &image).map_err(report)?;
    if let Some(f) = cidfile {
        f.write(c.id())?;
    }
    Ok(c)
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
