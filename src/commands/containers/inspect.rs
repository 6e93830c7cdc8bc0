//! `strata inspect X`: a container when X names one, else an image, as
//! docker resolves it.

use miette::{IntoDiagnostic, Result};
use serde_json::json;
use strata_containers::{Container, ContainerState, Status};
use strata_executor::Mount;
use strata_store::Store;

use super::{open, report};
use crate::cli::ImageArg;
use crate::commands::images;

pub fn inspect(store: &Store, args: &ImageArg) -> Result<i32> {
    let containers = open(store)?;
    let Some(c) = containers.lookup(&args.image).map_err(report)? else {
        return images::inspect(store, args);
    };
    let state = c.refresh().map_err(report)?;
    let mut out = record(&c, &state);
    out["NetworkSettings"] = network_settings(store, &c);
    println!("{}", serde_json::to_string_pretty(&out).into_diagnostic()?);
    Ok(0)
}

/// A mount as docker inspect's Mounts lists it. A volume is a bind of
/// `ROOT/volumes/NAME/_data` (the layout the volumes registry keeps).
fn mount_record(m: &Mount) -> serde_json::Value {
    match m {
        Mount::Bind {
            source,
            target,
            readonly,
            options,
        } => {
            let volume = source
                .file_name()
                .filter(|n| *n == "_data")
                .and(source.parent())
                .filter(|d| d.parent().and_then(|p| p.file_name()) == Some("volumes".as_ref()))
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned());
            json!({
                "Type": if volume.is_some() { "volume" } else { "bind" },
                "Name": volume,
                "Source": source,
                "Destination": target,
                "RW": !readonly,
                // docker shows a bind's propagation, `rprivate` when none
                // was asked for (the namespace's mounts are private), and
                // an empty one for a volume.
                "Propagation": match (&volume, options.propagation) {
                    (Some(_), _) => "",
                    (None, p) => p.map_or("rprivate", |p| p.as_option()),
                },
            })
        }
        Mount::Tmpfs {
            target, options, ..
        } => json!({
            "Type": "tmpfs",
            "Destination": target,
            "RW": !options.readonly,
        }),
    }
}

/// docker inspect's field names, for what strata knows.
pub fn record(c: &Container, state: &ContainerState) -> serde_json::Value {
    let cfg = &c.config;
    let spec = &cfg.spec;
    let net = cfg.network.as_ref();
    json!({
        "Id": cfg.id,
        "Name": cfg.name,
        "Created": cfg.created,
        "Image": cfg.image_digest.to_string(),
        "ImageName": cfg.image,
        "RestartCount": state.restart_count,
        "Path": spec.args.first(),
        "Args": spec.args.get(1..).unwrap_or_default(),
        "State": {
            "Status": state.status,
            "Running": state.status == Status::Running,
            "Paused": state.status == Status::Paused,
            "Pid": state.init.as_ref().map_or(0, |p| p.pid),
            "MonitorPid": state.monitor.as_ref().map_or(0, |p| p.pid),
            "ExitCode": state.exit_code,
            "OOMKilled": state.oom_killed,
            "StoppedByUser": state.stopped_by_user,
            "Error": state.error.clone().unwrap_or_default(),
            "StartedAt": state.started_at,
            "FinishedAt": state.finished_at,
            "Health": state.health.as_ref().map(|h| json!({
                "Status": h.status,
                "FailingStreak": h.failing_streak,
                "Log": h.log.iter().map(|r| json!({
                    "Start": r.start,
                    "End": r.end,
                    "ExitCode": r.exit_code,
                    "Output": r.output,
                })).collect::<Vec<_>>(),
            })),
        },
        "Config": {
            "Hostname": spec.hostname,
            "User": format!("{}:{}", spec.user.uid, spec.user.gid),
            "Env": spec.env,
            "Cmd": spec.args,
            "WorkingDir": spec.cwd,
            "Labels": cfg.labels,
            "StopSignal": cfg.stop_signal(),
            "StopTimeout": cfg.stop_timeout(),
            "Healthcheck": cfg.health.as_ref().map(|h| json!({
                "Test": h.test,
                "IntervalMs": h.interval_ms,
                "TimeoutMs": h.timeout_ms,
                "Retries": h.retries,
                "StartPeriodMs": h.start_period_ms,
                "OnFailure": if h.kill_on_unhealthy { "kill" } else { "none" },
            })),
        },
        "HostConfig": {
            "AutoRemove": cfg.auto_remove,
            "RestartPolicy": cfg.restart.to_string(),
            "NetworkMode": match &cfg.network {
                Some(n) if n.pasta => "pasta".to_owned(),
                Some(n) => n.networks.iter().map(|n| n.network.as_str()).collect::<Vec<_>>().join(","),
                None => format!("{:?}", spec.network).to_lowercase(),
            },
            "ReadonlyRootfs": spec.readonly_rootfs,
            "Devices": spec.devices.iter().map(|d| json!({
                "PathOnHost": d.host_path,
                "PathInContainer": d.path,
                "CgroupPermissions": d.access.to_string(),
            })).collect::<Vec<_>>(),
            "DeviceCgroupRules": spec.device_rules.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "Dns": net.map(|n| n.dns.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_default(),
            "DnsSearch": net.map(|n| n.dns_search.clone()).unwrap_or_default(),
            "DnsOptions": net.map(|n| n.dns_options.clone()).unwrap_or_default(),
            "ExtraHosts": net.map(extra_hosts).unwrap_or_default(),
        },
        "Mounts": spec.mounts.iter().map(mount_record).collect::<Vec<_>>(),
        "LogPath": c.log_path(),
        "GraphDriver": {
            "Name": "overlay",
            "Data": { "UpperDir": c.upper() },
        },
    })
}

/// `--add-host`s as docker's HostConfig.ExtraHosts spells them, in the
/// order given for each kind: `NAME:IP`, then `NAME:host-gateway`.
fn extra_hosts(n: &strata_network::Request) -> Vec<String> {
    let given = n.add_hosts.iter().map(|(name, ip)| format!("{name}:{ip}"));
    let host = n
        .host_gateway
        .iter()
        .map(|name| format!("{name}:host-gateway"));
    given.chain(host).collect()
}

/// docker's NetworkSettings while the container is attached (running):
/// each network's address and aliases, and the published ports.
fn network_settings(store: &Store, c: &Container) -> serde_json::Value {
    let Some(att) = strata_network::Attachment::find(store.root(), c.id()) else {
        return json!({ "Networks": {}, "Ports": {} });
    };
    let networks: serde_json::Map<String, serde_json::Value> = att
        .networks
        .iter()
        .map(|a| {
            (
                a.network.name.clone(),
                json!({
                    "IPAddress": a.ip.to_string(),
                    "Gateway": a.network.gateway.to_string(),
                    "IPPrefixLen": a.network.subnet.prefix_len(),
                    "Aliases": a.aliases,
                }),
            )
        })
        .collect();
    let mut ports = serde_json::Map::new();
    for p in &att.ports {
        let key = format!("{}/{}", p.container_port, p.protocol);
        let entry = ports.entry(key).or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({
                "HostIp": p.host_ip.map_or_else(|| "0.0.0.0".to_owned(), |ip| ip.to_string()),
                "HostPort": p.host_port.to_string(),
            }));
        }
    }
    json!({ "Networks": networks, "Ports": ports, "SandboxKey": att.netns })
}
