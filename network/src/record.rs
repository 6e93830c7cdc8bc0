//! Network records: one JSON file per network under `$ROOT/networks/`,
//! changed only under the networks lock.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};
use crate::lock::{self, Locked};
use crate::{Ipv4Net, atomic, ipam, routes};

/// The network `run --network bridge` (and later the default) joins.
pub const DEFAULT_NETWORK: &str = "strata";
/// Names that are modes, not networks.
const RESERVED: &[&str] = &["bridge", "host", "none", "default", "container"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRecord {
    pub name: String,
    pub id: String,
    pub driver: String,
    pub subnet: Ipv4Net,
    pub gateway: Ipv4Addr,
    /// No route out and no NAT: containers reach only each other.
    pub internal: bool,
    /// Containers resolve each other by name (user networks; not the
    /// default network, as in docker).
    pub dns_enabled: bool,
    /// The bridge's name in the namespace strata runs in.
    pub interface: String,
    pub labels: BTreeMap<String, String>,
    /// Seconds since the epoch.
    pub created: u64,
}

/// What `network create` asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub name: String,
    pub subnet: Option<Ipv4Net>,
    pub gateway: Option<Ipv4Addr>,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
}

/// The networks of one store root.
#[derive(Debug, Clone)]
pub struct Networks {
    dir: PathBuf,
}

impl Networks {
    pub fn new(store_root: &Path) -> Self {
        Self {
            dir: store_root.join("networks"),
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn lock(&self) -> Result<Locked> {
        lock::exclusive(&self.dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    pub fn create(&self, opts: &CreateOptions) -> Result<NetworkRecord> {
        check_name(&opts.name)?;
        let _locked = self.lock()?;
        if self.path(&opts.name).exists() {
            return Err(Error::Exists(opts.name.clone()));
        }
        let existing = self.list()?;
        let subnet = match opts.subnet {
            Some(subnet) => {
                if let Some(other) = existing.iter().find(|n| n.subnet.overlaps(&subnet)) {
                    return Err(Error::Invalid(format!(
                        "subnet {subnet} overlaps network {:?} ({})",
                        other.name, other.subnet
                    )));
                }
                subnet
            }
            None => free_subnet(&existing, user_candidates())?,
        };
        let record = self.record(opts, subnet, &existing, true)?;
        self.write(&record)?;
        Ok(record)
    }

    /// The default network, created on first use on a subnet no route of
    /// the current namespace and no other network uses.
    pub fn ensure_default(&self) -> Result<NetworkRecord> {
        if let Some(found) = self.find(DEFAULT_NETWORK)? {
            return Ok(found);
        }
        let _locked = self.lock()?;
        if let Some(found) = self.find(DEFAULT_NETWORK)? {
            return Ok(found);
        }
        let existing = self.list()?;
        let first: Ipv4Net = "10.88.0.0/16".parse().map_err(Error::Invalid)?;
        let subnet = free_subnet(&existing, std::iter::once(first).chain(user_candidates()))?;
        let opts = CreateOptions {
            name: DEFAULT_NETWORK.to_owned(),
            ..CreateOptions::default()
        };
        let record = self.record(&opts, subnet, &existing, false)?;
        self.write(&record)?;
        Ok(record)
    }

    fn record(
        &self,
        opts: &CreateOptions,
        subnet: Ipv4Net,
        existing: &[NetworkRecord],
        dns_enabled: bool,
    ) -> Result<NetworkRecord> {
        let gateway = match opts.gateway {
            Some(gw) if subnet.is_host(gw) => gw,
            Some(gw) => {
                return Err(Error::Invalid(format!(
                    "gateway {gw} is not a host address of subnet {subnet}"
                )));
            }
            None => subnet
                .host(1)
                .ok_or_else(|| Error::Invalid(format!("subnet {subnet} has no host addresses")))?,
        };
        let interface = (0..)
            .map(|n| format!("strata{n}"))
            .find(|i| existing.iter().all(|n| &n.interface != i))
            .unwrap_or_default();
        Ok(NetworkRecord {
            name: opts.name.clone(),
            id: atomic::random_id()?,
            driver: "bridge".to_owned(),
            subnet,
            gateway,
            internal: opts.internal,
            dns_enabled,
            interface,
            labels: opts.labels.clone(),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        })
    }

    fn write(&self, record: &NetworkRecord) -> Result<()> {
        let path = self.path(&record.name);
        let json = serde_json::to_vec_pretty(record).map_err(|source| Error::Record {
            path: path.clone(),
            source,
        })?;
        atomic::write(&path, &json)
    }

    /// Every network, by name.
    pub fn list(&self) -> Result<Vec<NetworkRecord>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("read", &self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let path = entry.map_err(io("read", &self.dir))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(read(&path)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn find(&self, name: &str) -> Result<Option<NetworkRecord>> {
        let path = self.path(name);
        if check_name(name).is_err() || !path.exists() {
            return Ok(None);
        }
        read(&path).map(Some)
    }

    /// A network by name, or by a unique prefix of its id.
    pub fn get(&self, name_or_id: &str) -> Result<NetworkRecord> {
        if let Some(found) = self.find(name_or_id)? {
            return Ok(found);
        }
        let mut by_id: Vec<NetworkRecord> = self
            .list()?
            .into_iter()
            .filter(|n| !name_or_id.is_empty() && n.id.starts_with(name_or_id))
            .collect();
        match by_id.len() {
            1 => Ok(by_id.remove(0)),
            _ => Err(Error::NotFound(name_or_id.to_owned())),
        }
    }

    /// Containers holding an address on the network.
    pub fn users(&self, name: &str) -> Result<Vec<String>> {
        ipam::holders(&self.dir, name)
    }

    pub fn remove(&self, name_or_id: &str) -> Result<NetworkRecord> {
        let record = self.get(name_or_id)?;
        if record.name == DEFAULT_NETWORK {
            return Err(Error::Predefined(record.name));
        }
        let _locked = self.lock()?;
        let users = self.users(&record.name)?;
        if !users.is_empty() {
            return Err(Error::InUse {
                name: record.name,
                containers: users,
            });
        }
        ipam::forget(&self.dir, &record.name)?;
        retire(&_locked, &record)?;
        atomic::remove(&self.path(&record.name))?;
        Ok(record)
    }

    /// Removes every user network no container uses; returns their names.
    pub fn prune(&self) -> Result<Vec<String>> {
        let _locked = self.lock()?;
        let mut removed = Vec::new();
        for record in self.list()? {
            if record.name == DEFAULT_NETWORK || !self.users(&record.name)?.is_empty() {
                continue;
            }
            ipam::forget(&self.dir, &record.name)?;
            retire(&_locked, &record)?;
            atomic::remove(&self.path(&record.name))?;
            removed.push(record.name);
        }
        Ok(removed)
    }
}

/// A network strata wired itself keeps its bridge and rules until it is
/// removed (netavark removes its own with the last container).
fn retire(locked: &Locked, record: &NetworkRecord) -> Result<()> {
    if record.dns_enabled {
        Ok(())
    } else {
        crate::native::retire_network(locked, record)
    }
}

fn read(path: &Path) -> Result<NetworkRecord> {
    let data = std::fs::read(path).map_err(io("read", path))?;
    serde_json::from_slice(&data).map_err(|source| Error::Record {
        path: path.to_owned(),
        source,
    })
}

/// Docker's rule for names, which also keeps them safe as file names.
fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !first_ok || !rest_ok || name.len() > 64 || RESERVED.contains(&name) {
        return Err(Error::BadName(name.to_owned()));
    }
    Ok(())
}

/// 10.89.0.0/24, 10.89.1.0/24, ... 10.90.255.0/24.
fn user_candidates() -> impl Iterator<Item = Ipv4Net> {
    (89u8..=90)
        .flat_map(|b| (0u8..=255).filter_map(move |c| Ipv4Net::new(Ipv4Addr::new(10, b, c, 0), 24)))
}

fn free_subnet(
    existing: &[NetworkRecord],
    mut candidates: impl Iterator<Item = Ipv4Net>,
) -> Result<Ipv4Net> {
    let routes = routes::current().map_err(io("read", "/proc/net/route"))?;
    candidates
        .find(|c| {
            routes.iter().all(|r| !r.overlaps(c)) && existing.iter().all(|n| !n.subnet.overlaps(c))
        })
        .ok_or(Error::NoSubnet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule_and_modes_are_reserved() {
        assert!(check_name("front-end_1.a").is_ok());
        for bad in ["", "-x", "a/b", "..", "bridge", "host", "none"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn networks_get_distinct_subnets_and_bridges() {
        let dir = tempfile::tempdir().unwrap();
        let nets = Networks::new(dir.path());
        let a = nets
            .create(&CreateOptions {
                name: "a".into(),
                ..Default::default()
            })
            .unwrap();
        let b = nets
            .create(&CreateOptions {
                name: "b".into(),
                ..Default::default()
            })
            .unwrap();
        assert!(!a.subnet.overlaps(&b.subnet));
        assert_ne!(a.interface, b.interface);
        assert!(matches!(
            nets.create(&CreateOptions {
                name: "a".into(),
                ..Default::default()
            }),
            Err(Error::Exists(_))
        ));
        let clash = CreateOptions {
            name: "c".into(),
            subnet: Some(a.subnet),
            ..Default::default()
        };
        assert!(matches!(nets.create(&clash), Err(Error::Invalid(_))));
        assert_eq!(nets.prune().unwrap(), ["a", "b"]);
        assert!(nets.list().unwrap().is_empty());
    }
}
