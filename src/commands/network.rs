//! `strata network create|ls|inspect|rm|prune`.

use std::collections::BTreeMap;

use miette::{IntoDiagnostic, Result, miette};
use strata_network::{CreateOptions, NetworkRecord, Networks};
use strata_store::Store;

use crate::cli::ListFormat;
use crate::cli_network::{NetworkArgs, NetworkCommand, NetworkCreateArgs};

pub fn run(store: &Store, args: &NetworkArgs) -> Result<i32> {
    let nets = Networks::new(store.root());
    // Killed runs' attachments hold addresses: free them before anyone
    // counts a network's users.
    strata_network::reap_stale(store.root()).map_err(net_err)?;
    match &args.command {
        NetworkCommand::Create(a) => create(&nets, a),
        NetworkCommand::Ls { format } => list(&nets, *format),
        NetworkCommand::Inspect { names } => inspect(&nets, names),
        NetworkCommand::Connect(a) => super::network_connect::connect(store, a),
        NetworkCommand::Disconnect { network, container } => {
            super::network_connect::disconnect(store, network, container)
        }
        NetworkCommand::Rm { force, names } => {
            let mut code = 0;
            for name in names {
                if *force && let Err(e) = super::network_connect::disconnect_all(store, name) {
                    eprintln!("error: {e}");
                    code = 1;
                    continue;
                }
                match nets.remove(name) {
                    Ok(record) => println!("{}", record.name),
                    Err(e) => {
                        eprintln!("error: {e}");
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        NetworkCommand::Prune { force: _ } => {
            for name in nets.prune().map_err(net_err)? {
                println!("{name}");
            }
            Ok(0)
        }
    }
}

pub fn net_err(e: strata_network::Error) -> miette::Report {
    miette!("{e}")
}

fn create(nets: &Networks, a: &NetworkCreateArgs) -> Result<i32> {
    if a.driver != "bridge" {
        return Err(miette!(
            "network driver {:?} is not supported: only bridge",
            a.driver
        ));
    }
    let mut labels = BTreeMap::new();
    for l in &a.labels {
        let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
        labels.insert(k.to_owned(), v.to_owned());
    }
    let opts = CreateOptions {
        name: a.name.clone(),
        subnet: a
            .subnet
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: String| miette!("--subnet {e}"))?,
        gateway: a
            .gateway
            .as_deref()
            .map(|g| {
                g.parse()
                    .map_err(|_| miette!("--gateway {g:?} is not an IPv4 address"))
            })
            .transpose()?,
        internal: a.internal,
        labels,
    };
    let record = nets.create(&opts).map_err(net_err)?;
    println!("{}", record.name);
    Ok(0)
}

fn list(nets: &Networks, format: ListFormat) -> Result<i32> {
    // The default network is always listed, as podman lists its own.
    nets.ensure_default().map_err(net_err)?;
    let records = nets.list().map_err(net_err)?;
    match format {
        ListFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&records).into_diagnostic()?
            );
        }
        ListFormat::Table => {
            println!(
                "{:<12}  {:<20}  {:<7}  {:<18}  {:<15}  INTERNAL",
                "NETWORK ID", "NAME", "DRIVER", "SUBNET", "GATEWAY"
            );
            for n in &records {
                println!(
                    "{:<12}  {:<20}  {:<7}  {:<18}  {:<15}  {}",
                    &n.id[..12.min(n.id.len())],
                    n.name,
                    n.driver,
                    n.subnet.to_string(),
                    n.gateway.to_string(),
                    n.internal
                );
            }
        }
    }
    Ok(0)
}

fn inspect(nets: &Networks, names: &[String]) -> Result<i32> {
    if names.iter().any(|n| n == strata_network::DEFAULT_NETWORK) {
        nets.ensure_default().map_err(net_err)?;
    }
    let mut out = Vec::new();
    for name in names {
        let record: NetworkRecord = nets.get(name).map_err(net_err)?;
        let mut value = serde_json::to_value(&record).into_diagnostic()?;
        let users = nets.users(&record.name).map_err(net_err)?;
        value["containers"] = serde_json::json!(users);
        out.push(value);
    }
    println!("{}", serde_json::to_string_pretty(&out).into_diagnostic()?);
    Ok(0)
}
