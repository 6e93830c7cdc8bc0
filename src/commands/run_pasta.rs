//! `run --network pasta`: the container gets a network namespace of its
//! own whose way out is pasta, as podman's rootless default. It needs no
//! root and touches no interface or firewall outside the namespace, so it
//! is the network rootless strata has. `-p HOST:CONTAINER` is pasta's own
//! port forwarding (`-t`/`-u`): pasta listens on the host port and
//! connects to the container's port inside. `--dns*` and `--add-host`
//! shape its resolv.conf and hosts (strata_network::PastaNames).

use miette::{Result, miette};
use strata_executor::{Mount, Network, Rootfs, RunSpec};
use strata_network::{PortMapping, Publish, UserNet};
use strata_store::Store;

use crate::cli::RunArgs;
use crate::cli_network::RunNetworkFlags;

/// The flags pasta cannot serve: it gives the container a copy of the
/// host's address and interface, so there is no address, MAC or network
/// (to hold an alias) of the container's own to choose.
pub fn refuse_unsupported(f: &RunNetworkFlags) -> Result<()> {
    let unsupported = [
        (f.ip.is_some(), "--ip"),
        (!f.network_aliases.is_empty(), "--network-alias"),
        (f.mac_address.is_some(), "--mac-address"),
    ];
    match unsupported.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(miette!(
            "{flag} is not supported with --network pasta: pasta gives the container a copy of the host's address, not one of its own (use a bridge network as root)"
        )),
        None => Ok(()),
    }
}

pub fn attach(
    store: &Store,
    args: &RunArgs,
    container_id: &str,
    spec: &mut RunSpec,
) -> Result<UserNet> {
    let f = &args.net;
    refuse_unsupported(f)?;
    let names = super::run_network::names(f)?;
    if f.publish_all {
        return Err(miette!(
            "--publish-all is not supported with --network pasta in a foreground run yet (add -d, or -p HOST:CONTAINER)"
        ));
    }
    let mut mappings = Vec::new();
    for spec in &f.publish {
        mappings
            .extend(PortMapping::parse_all(spec).map_err(|e| miette!("--publish {spec:?}: {e}"))?);
    }
    let publish = Publish::of(&mappings).map_err(|e| miette!("--publish: {e}"))?;
    // pasta says nothing (with --quiet) when it cannot bind a host port:
    // ask first, and name the container holding it.
    strata_network::check_ports(store.root(), &mappings).map_err(super::network::net_err)?;
    let dir = store
        .root()
        .join("netns")
        .join(format!("run-{container_id}"));
    let start_in = strata_executor::outside_device_policy();
    let net =
        UserNet::create(&dir, &publish, start_in.as_deref(), &names).map_err(|e| match e {
            // Rootless strata's default: say the way around it.
            strata_network::Error::PastaMissing(_) => {
                miette!("--network pasta: {e}; or use the host's network: --network host")
            }
            e => miette!("--network pasta: {e}"),
        })?;
    match net.hosts() {
        Some(hosts) => {
            // Bound as a bridge container's are (strata_containers::wire).
            spec.network = Network::Namespace(net.netns().to_path_buf());
            if let Rootfs::Overlay { lower, .. } = &mut spec.rootfs {
                lower.push(net.init_layer());
            }
            for (source, target) in [
                (hosts, "/etc/hosts"),
                (net.resolv_conf(), "/etc/resolv.conf"),
            ] {
                spec.mounts.push(Mount::Bind {
                    source: source.to_path_buf(),
                    target: target.into(),
                    readonly: false,
                    options: Default::default(),
                });
            }
        }
        None => {
            spec.network = Network::Userspace {
                netns: net.netns().to_path_buf(),
                resolv_conf: net.resolv_conf().to_path_buf(),
            }
        }
    }
    Ok(net)
}
