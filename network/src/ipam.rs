//! Address allocation as CNI's host-local does it: one file per address
//! taken, `networks/ipam/NETWORK/IP`, holding the container's id. Callers
//! hold the networks lock, so check-then-create cannot race.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io};
use crate::record::NetworkRecord;
use crate::{atomic, lock::Locked};

fn net_dir(dir: &Path, network: &str) -> PathBuf {
    dir.join("ipam").join(network)
}

/// Takes `wanted`, or the lowest free host address that is not the
/// gateway, for `container`.
pub fn allocate(
    _locked: &Locked,
    dir: &Path,
    net: &NetworkRecord,
    container: &str,
    wanted: Option<Ipv4Addr>,
) -> Result<Ipv4Addr> {
    let ndir = net_dir(dir, &net.name);
    std::fs::create_dir_all(&ndir).map_err(io("create", &ndir))?;
    let taken = |ip: Ipv4Addr| ndir.join(ip.to_string()).exists() || ip == net.gateway;
    let ip = match wanted {
        Some(ip) => {
            if !net.subnet.is_host(ip) {
                return Err(Error::Invalid(format!(
                    "address {ip} is not in network {:?}'s subnet {}",
                    net.name, net.subnet
                )));
            }
            if taken(ip) {
                let holder = std::fs::read_to_string(ndir.join(ip.to_string()))
                    .unwrap_or_else(|_| "the gateway".to_owned());
                return Err(Error::AddressTaken {
                    network: net.name.clone(),
                    ip: ip.to_string(),
                    holder,
                });
            }
            ip
        }
        None => (1..)
            .map_while(|n| net.subnet.host(n))
            .find(|ip| !taken(*ip))
            .ok_or_else(|| Error::Exhausted {
                network: net.name.clone(),
                subnet: net.subnet.to_string(),
            })?,
    };
    atomic::write(&ndir.join(ip.to_string()), container.as_bytes())?;
    Ok(ip)
}

/// Frees `ip` if `container` still holds it.
pub fn release(
    _locked: &Locked,
    dir: &Path,
    network: &str,
    ip: Ipv4Addr,
    container: &str,
) -> Result<()> {
    let path = net_dir(dir, network).join(ip.to_string());
    match std::fs::read_to_string(&path) {
        Ok(holder) if holder == container => atomic::remove(&path),
        _ => Ok(()),
    }
}

/// The containers holding addresses on `network`.
pub fn holders(dir: &Path, network: &str) -> Result<Vec<String>> {
    let ndir = net_dir(dir, network);
    let entries = match std::fs::read_dir(&ndir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", &ndir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(io("read", &ndir))?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.parse::<Ipv4Addr>().is_ok())
        {
            out.push(std::fs::read_to_string(&path).map_err(io("read", &path))?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Drops the (empty) allocation dir of a removed network.
pub fn forget(dir: &Path, network: &str) -> Result<()> {
    let ndir = net_dir(dir, network);
    match std::fs::remove_dir(&ndir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", &ndir)(e)),
        _ => Ok(()),
    }
}
