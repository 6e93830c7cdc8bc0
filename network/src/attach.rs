//! A container's place on its networks: addresses and ports taken under
//! the lock, a network namespace wired by netavark, the container's
//! /etc/hosts and /etc/resolv.conf. Everything is written down in
//! `networks/attached/ID/record.json` before it is made, so teardown (by
//! the run that made it, or by anyone who later finds the record) undoes
//! exactly that.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};
use crate::owner::Owner;
use crate::record::{NetworkRecord, Networks};
use crate::{PortMapping, atomic, dns_ready, etc, ipam, native, netavark, netns, ports};

/// One network a container asks to join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetRequest {
    /// A network name; `bridge` is the default network.
    pub network: String,
    pub ip: Option<Ipv4Addr>,
    pub aliases: Vec<String>,
}

/// What a container asks of its networks. A monitored container keeps
/// it in its config and the monitor makes it real at each start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub container_id: String,
    /// The name other containers resolve it by (and its hostname).
    pub name: String,
    pub networks: Vec<NetRequest>,
    pub ports: Vec<PortMapping>,
    /// `--dns`: nameservers for the container instead of the network's.
    pub dns: Vec<IpAddr>,
    /// `--add-host NAME:IP` lines for /etc/hosts.
    pub add_hosts: Vec<(String, IpAddr)>,
    /// `--dns-search`: search domains instead of the networks'.
    #[serde(default)]
    pub dns_search: Vec<String>,
    /// `--dns-option`: resolv.conf options instead of the outer file's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_options: Vec<String>,
    /// `--add-host NAME:host-gateway` names (pasta only): the host, as
    /// seen from inside when the namespace is made (pasta_names.rs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_gateway: Vec<String>,
    /// `--mac-address`: the first network's interface gets it (docker's
    /// rule: one container, one address asked for).
    #[serde(default)]
    pub mac_address: Option<String>,
    /// `--network pasta`: no network of `networks` (there are none) but a
    /// namespace of its own whose way out is pasta (see pasta_attach.rs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pasta: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attached {
    pub network: NetworkRecord,
    pub ip: Ipv4Addr,
    pub aliases: Vec<String>,
    /// The interface in the container (`ethN`); older records: by position.
    #[serde(default)]
    pub interface: Option<String>,
    /// Set up with the container's published ports (the networks it
    /// started with; not one `network connect` added).
    #[serde(default = "yes")]
    pub with_ports: bool,
    /// Who wired it; records older than strata's own wiring: netavark.
    #[serde(default)]
    pub wiring: Wiring,
    /// The interface's MAC address as asked for (`--mac-address`); none:
    /// the kernel's random one.
    #[serde(default)]
    pub mac: Option<String>,
}

/// Who makes and undoes a container's place on a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wiring {
    /// netavark (networks with DNS: aardvark-dns's files are its own).
    #[default]
    Netavark,
    /// strata itself (see `native`), through the host end `veth`.
    Strata { veth: String },
}

impl Wiring {
    /// The wiring a new place on `net` gets.
    pub(crate) fn for_network(net: &NetworkRecord) -> Result<Self> {
        Ok(if net.dns_enabled {
            Self::Netavark
        } else {
            Self::Strata {
                veth: native::veth_name()?,
            }
        })
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub container_id: String,
    pub name: String,
    pub netns: PathBuf,
    pub networks: Vec<Attached>,
    pub ports: Vec<PortMapping>,
    pub dns: Vec<IpAddr>,
    /// netavark has configured the namespace (so teardown must ask it).
    pub wired: bool,
    /// The `run` that made it; when it is gone the attachment is stale.
    pub owner: Option<Owner>,
    /// The pasta serving the namespace (`--network pasta`), written down
    /// before it is waited for, so whoever tears the attachment down
    /// (a reaper of a killed monitor too) ends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pasta: Option<Owner>,
}

/// A live attachment; dropping it without [`Attachment::teardown`] still
/// tears it down.
pub struct Attachment {
    pub(crate) nets: Networks,
    pub(crate) dir: PathBuf,
    pub(crate) record: AttachmentRecord,
    pub(crate) done: bool,
    /// The pasta this process started (its child, so ours to reap).
    pub(crate) pasta: Option<std::process::Child>,
}

pub(crate) fn attached_dir(nets: &Networks, container_id: &str) -> PathBuf {
    nets.dir().join("attached").join(container_id)
}

impl Attachment {
    /// The attachment `req` asks for, owned by this process, before any
    /// network or port is wired or recorded.
    pub(crate) fn unwired(store_root: &Path, nets: Networks, req: &Request) -> Self {
        Self {
            dir: attached_dir(&nets, &req.container_id),
            record: AttachmentRecord {
                container_id: req.container_id.clone(),
                name: req.name.clone(),
                netns: store_root.join("netns").join(&req.container_id),
                networks: Vec::new(),
                ports: Vec::new(),
                dns: req.dns.clone(),
                wired: false,
                owner: Owner::me(),
                pasta: None,
            },
            nets,
            done: false,
            pasta: None,
        }
    }

    pub fn setup(store_root: &Path, req: &Request) -> Result<Self> {
        if req.pasta {
            return Self::setup_pasta(store_root, req, None);
        }
        // What killed runs left would hold addresses and ports we need.
        reap_stale(store_root)?;
        let nets = Networks::new(store_root);
        let mut targets = Vec::new();
        for r in &req.networks {
            let record = if r.network == "bridge" || r.network == crate::DEFAULT_NETWORK {
                nets.ensure_default()?
            } else {
                nets.get(&r.network)?
            };
            targets.push((record, r));
        }
        let mut att = Self::unwired(store_root, nets, req);
        let dir = att.dir.clone();
        {
            let locked = att.nets.lock()?;
            std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
            for (network, r) in targets {
                let ip =
                    ipam::allocate(&locked, att.nets.dir(), &network, &req.container_id, r.ip)?;
                let mut aliases = vec![req.name.clone()];
                aliases.extend(r.aliases.iter().cloned());
                let first = att.record.networks.is_empty();
                let interface = Some(format!("eth{}", att.record.networks.len()));
                let wiring = Wiring::for_network(&network)?;
                att.record.networks.push(Attached {
                    network,
                    ip,
                    aliases,
                    interface,
                    with_ports: false,
                    wiring,
                    mac: req.mac_address.clone().filter(|_| first),
                });
                att.save()?;
            }
            // The first network's wiring publishes the ports: netavark
            // for all of its group, strata's for that one network.
            let first_native = att
                .record
                .networks
                .first()
                .is_some_and(|a| a.wiring != Wiring::Netavark);
            for (i, a) in att.record.networks.iter_mut().enumerate() {
                a.with_ports = match a.wiring {
                    Wiring::Netavark => !first_native,
                    Wiring::Strata { .. } => i == 0,
                };
            }
            att.record.ports =
                ports::reserve(&locked, att.nets.dir(), &req.container_id, &req.ports)?;
            for a in &att.record.networks {
                if a.wiring != Wiring::Netavark {
                    native::ensure_network(&locked, &a.network)?;
                }
            }
            att.save()?;
        }
        netns::create(&att.record.netns)?;
        att.record.wired = true;
        att.save()?;
        for (i, a) in att.record.networks.iter().enumerate() {
            if let Wiring::Strata { veth } = &a.wiring {
                native::wire(
                    &att.record.netns,
                    &native::Place {
                        net: &a.network,
                        ip: a.ip,
                        interface: a.interface.as_deref().unwrap_or("eth0"),
                        veth,
                        default_route: i == 0,
                        mac: a.mac.as_deref(),
                    },
                )?;
                if a.with_ports {
                    native::publish(a.ip, &att.record.ports)?;
                }
            }
        }
        let by_netavark: Vec<Attached> = att
            .record
            .networks
            .iter()
            .filter(|a| a.wiring == Wiring::Netavark)
            .cloned()
            .collect();
        let status = if by_netavark.is_empty() {
            BTreeMap::new()
        } else {
            netavark::setup(
                &att.netavark_dir(),
                &att.record.netns,
                &att.options_for(&by_netavark, by_netavark.iter().any(|a| a.with_ports)),
            )?
        };
        let mut nameservers: Vec<IpAddr> = Vec::new();
        let mut search: Vec<String> = Vec::new();
        for s in status.values() {
            nameservers.extend(s.dns_server_ips.iter().flatten());
            search.extend(s.dns_search_domains.iter().flatten().cloned());
        }
        // The network's own DNS server, before --dns replaces it.
        if let Some(server) = nameservers.first() {
            dns_ready::wait_for(*server, &req.name, std::time::Duration::from_secs(2));
        }
        if !req.dns.is_empty() {
            nameservers = req.dns.clone();
        }
        if !req.dns_search.is_empty() {
            search = req.dns_search.clone();
        }
        let ips: Vec<Ipv4Addr> = att.record.networks.iter().map(|a| a.ip).collect();
        let init_etc = att.init_layer().join("etc");
        std::fs::create_dir_all(&init_etc).map_err(io("create", &init_etc))?;
        for f in ["hosts", "resolv.conf"] {
            atomic::write(&init_etc.join(f), b"")?;
        }
        atomic::write(
            &att.hosts(),
            etc::hosts(&req.name, &ips, &req.add_hosts).as_bytes(),
        )?;
        atomic::write(
            &att.resolv_conf(),
            etc::resolv_conf(&nameservers, &search, &req.dns_options).as_bytes(),
        )?;
        Ok(att)
    }

    pub(crate) fn load(nets: Networks, dir: PathBuf, path: PathBuf) -> Result<Self> {
        let record = read_record(&path)?;
        Ok(Self {
            nets,
            dir,
            record,
            done: false,
            pasta: None,
        })
    }

    /// The attachment of container `container_id`, while one exists.
    pub fn find(store_root: &Path, container_id: &str) -> Option<AttachmentRecord> {
        let dir = attached_dir(&Networks::new(store_root), container_id);
        let data = std::fs::read(dir.join("record.json")).ok()?;
        serde_json::from_slice(&data).ok()
    }

    /// Where the attachment of `container_id` keeps its `hosts`,
    /// `resolv.conf` and `init` layer (for a container joining its
    /// namespace).
    pub fn dir_of(store_root: &Path, container_id: &str) -> PathBuf {
        attached_dir(&Networks::new(store_root), container_id)
    }

    pub fn record(&self) -> &AttachmentRecord {
        &self.record
    }

    pub fn netns(&self) -> &Path {
        &self.record.netns
    }

    /// The container's /etc/hosts, to bind over the image's.
    pub fn hosts(&self) -> PathBuf {
        self.dir.join("hosts")
    }

    /// A layer to stack over the image's (as docker's init layer): empty
    /// /etc/hosts and /etc/resolv.conf for the binds to land on, so an
    /// image without them gets none in its container's diff.
    pub fn init_layer(&self) -> PathBuf {
        self.dir.join("init")
    }

    /// The container's /etc/resolv.conf, to bind over the image's.
    pub fn resolv_conf(&self) -> PathBuf {
        self.dir.join("resolv.conf")
    }

    pub(crate) fn netavark_dir(&self) -> PathBuf {
        self.nets.dir().join("netavark")
    }

    /// netavark's input for `nets` (of this attachment), with the
    /// published ports or without.
    pub(crate) fn options_for(&self, nets: &[Attached], with_ports: bool) -> serde_json::Value {
        let none = Vec::new();
        netavark::options(
            &self.record.container_id,
            &self.record.name,
            nets,
            if with_ports {
                &self.record.ports
            } else {
                &none
            },
            &self.record.dns,
        )
    }

    pub(crate) fn save(&self) -> Result<()> {
        let json = serde_json::to_vec_pretty(&self.record).map_err(|source| Error::Record {
            path: self.dir.join("record.json"),
            source,
        })?;
        atomic::write(&self.dir.join("record.json"), &json)
    }

    /// Undoes everything: rules and interfaces, the namespace, the
    /// addresses and ports. Goes on past a failing step and reports the
    /// first failure.
    pub fn teardown(mut self) -> Result<()> {
        self.done = true;
        self.undo()
    }

    fn undo(&mut self) -> Result<()> {
        let mut first: Option<Error> = None;
        let mut keep = |r: Result<()>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        // `network connect` and `disconnect` change the record on disk
        // while the monitor that made it runs.
        if let Ok(current) = read_record(&self.dir.join("record.json")) {
            self.record = current;
        }
        // Before its namespace goes: pasta would quit on the file's
        // removal too, but only what waits for its exit knows it is gone.
        keep(self.stop_pasta());
        if self.record.wired {
            // strata's own wiring lives in this namespace, not the
            // container's: undone whether or not that one still exists.
            for a in &self.record.networks {
                if let Wiring::Strata { veth } = &a.wiring {
                    if a.with_ports {
                        keep(native::unpublish(&self.record.ports));
                    }
                    keep(native::unwire(veth));
                }
            }
            if self.record.netns.exists() {
                // The networks connected later were set up without the
                // ports: tear each group down as it was set up.
                let (with, without): (Vec<Attached>, Vec<Attached>) = self
                    .record
                    .networks
                    .iter()
                    .filter(|a| a.wiring == Wiring::Netavark)
                    .cloned()
                    .partition(|a| a.with_ports);
                for (group, ports) in [(with, true), (without, false)] {
                    if !group.is_empty() {
                        keep(netavark::teardown(
                            &self.netavark_dir(),
                            &self.record.netns,
                            &self.options_for(&group, ports),
                        ));
                    }
                }
            }
            keep(netns::remove(&self.record.netns));
        }
        match self.nets.lock() {
            Ok(locked) => {
                let id = &self.record.container_id;
                for a in &self.record.networks {
                    keep(ipam::release(
                        &locked,
                        self.nets.dir(),
                        &a.network.name,
                        a.ip,
                        id,
                    ));
                }
                keep(ports::release(
                    &locked,
                    self.nets.dir(),
                    id,
                    &self.record.ports,
                ));
                if let Err(e) = std::fs::remove_dir_all(&self.dir)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    keep(Err(io("remove", &self.dir)(e)));
                }
            }
            Err(e) => keep(Err(e)),
        }
        first.map_or(Ok(()), Err)
    }
}

pub(crate) fn read_record(path: &Path) -> Result<AttachmentRecord> {
    let data = std::fs::read(path).map_err(io("read", path))?;
    serde_json::from_slice(&data).map_err(|source| Error::Record {
        path: path.to_owned(),
        source,
    })
}

/// Fails if a host port of `ports` is published already or listened on:
/// for a container record not to be made in vain.
pub fn check_ports(store_root: &Path, ports: &[PortMapping]) -> Result<()> {
    let nets = Networks::new(store_root);
    let locked = nets.lock()?;
    ports::check_free(&locked, nets.dir(), ports)
}

/// Tears down every attachment whose `run` is gone (killed with SIGKILL,
/// or the machine rebooted); returns their container ids. The reaper that
/// renames a record away first owns its teardown, so two commands never
/// undo the same one.
pub fn reap_stale(store_root: &Path) -> Result<Vec<String>> {
    let nets = Networks::new(store_root);
    let base = nets.dir().join("attached");
    let entries = match std::fs::read_dir(&base) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", &base)(e)),
    };
    let mut reaped = Vec::new();
    for entry in entries {
        let dir = entry.map_err(io("read", &base))?.path();
        let path = dir.join("record.json");
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        let Ok(record) = serde_json::from_slice::<AttachmentRecord>(&data) else {
            continue;
        };
        if record.owner.as_ref().is_none_or(Owner::alive) {
            continue;
        }
        let claimed = dir.join("reaping.json");
        if std::fs::rename(&path, &claimed).is_err() {
            continue;
        }
        let att = Attachment::load(nets.clone(), dir, claimed)?;
        att.teardown()?;
        reaped.push(record.container_id);
    }
    Ok(reaped)
}

impl Drop for Attachment {
    fn drop(&mut self) {
        if !self.done {
            self.done = true;
            if let Err(e) = self.undo() {
                eprintln!(
                    "strata: network teardown of {}: {e}",
                    self.record.container_id
                );
            }
        }
    }
}
