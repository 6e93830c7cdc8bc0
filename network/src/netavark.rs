//! Driving netavark (Debian's 1.4): `netavark setup|teardown NETNS` with
//! the container's network options as JSON on stdin, in the format of
//! netavark's src/network/types.rs at v1.4.0. netavark makes the bridge,
//! the veth pair, the iptables NAT and DNAT rules, and starts aardvark-dns
//! for networks with DNS; strata allocates the addresses itself and
//! passes them as `static_ips`.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result, io};
use crate::{PortMapping, attach::Attached};

const NETAVARK: &str = "/usr/lib/podman/netavark";
const AARDVARK: &str = "/usr/lib/podman/aardvark-dns";

fn binary(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The stdin of setup and teardown for one container.
pub fn options(
    container_id: &str,
    name: &str,
    nets: &[Attached],
    ports: &[PortMapping],
    dns: &[IpAddr],
) -> Value {
    let mut networks = serde_json::Map::new();
    let mut info = serde_json::Map::new();
    for (i, a) in nets.iter().enumerate() {
        let n = &a.network;
        networks.insert(
            n.name.clone(),
            json!({
                "interface_name": a.interface.clone().unwrap_or_else(|| format!("eth{i}")),
                "static_ips": [a.ip.to_string()],
                "static_mac": a.mac,
                // netavark names the container itself: its name here too
                // would be a second, identical A record (which makes the
                // static busybox's wget crash).
                "aliases": if n.dns_enabled {
                    a.aliases.iter().filter(|x| *x != name).cloned().collect()
                } else {
                    Vec::new()
                },
            }),
        );
        info.insert(
            n.name.clone(),
            json!({
                "name": n.name,
                "id": n.id,
                "driver": n.driver,
                "network_interface": n.interface,
                "subnets": [{"subnet": n.subnet.to_string(), "gateway": n.gateway.to_string()}],
                "ipv6_enabled": false,
                "internal": n.internal,
                "dns_enabled": n.dns_enabled,
                // Docker's rule: containers on different networks do not
                // reach each other.
                "options": {"isolate": "true"},
            }),
        );
    }
    let port_mappings: Vec<Value> = ports
        .iter()
        .map(|p| {
            json!({
                "host_ip": p.host_ip.map(|i| i.to_string()).unwrap_or_default(),
                "host_port": p.host_port,
                "container_port": p.container_port,
                "protocol": p.protocol,
                "range": 1,
            })
        })
        .collect();
    json!({
        "container_id": container_id,
        "container_name": name,
        "networks": networks,
        "network_info": info,
        "port_mappings": port_mappings,
        "dns_servers": if dns.is_empty() { None } else { Some(dns) },
    })
}

/// What setup reports per network.
#[derive(Debug, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub dns_search_domains: Option<Vec<String>>,
    #[serde(default)]
    pub dns_server_ips: Option<Vec<IpAddr>>,
}

pub fn setup(config_dir: &Path, netns: &Path, input: &Value) -> Result<BTreeMap<String, Status>> {
    let out = run(config_dir, "setup", netns, input)?;
    serde_json::from_slice(&out).map_err(|e| Error::Tool {
        tool: "netavark setup".into(),
        msg: format!("unreadable answer ({e}): {}", String::from_utf8_lossy(&out)),
    })
}

pub fn teardown(config_dir: &Path, netns: &Path, input: &Value) -> Result<()> {
    run(config_dir, "teardown", netns, input).map(drop)
}

fn run(config_dir: &Path, verb: &str, netns: &Path, input: &Value) -> Result<Vec<u8>> {
    let tool = binary("STRATA_NETAVARK", NETAVARK);
    let what = format!("netavark {verb}");
    std::fs::create_dir_all(config_dir).map_err(io("create", config_dir))?;
    // One netavark at a time, as podman runs it (netavark.lock in its
    // config dir): the teardown of a network's last container deletes the
    // network's firewall chains, and a setup appending to them meanwhile
    // fails ("iptables: No chain/target/match by that name").
    let _one_at_a_time = crate::lock::exclusive_file(&config_dir.join("netavark.lock"))?;
    let mut child = Command::new(&tool)
        .arg("--config")
        .arg(config_dir)
        .arg("--aardvark-binary")
        .arg(binary("STRATA_AARDVARK_DNS", AARDVARK))
        .arg(verb)
        .arg(netns)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Tool {
            tool: what.clone(),
            msg: format!(
                "cannot start {} ({e}); install Debian's netavark",
                tool.display()
            ),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.to_string().as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| Error::Tool {
        tool: what.clone(),
        msg: e.to_string(),
    })?;
    if !out.status.success() {
        // netavark prints {"error": "..."} on stdout, logs on stderr.
        let answer = serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).trim().to_owned());
        return Err(Error::Tool {
            tool: what,
            msg: answer,
        });
    }
    Ok(out.stdout)
}
