//! Published ports: `-p [IP:]HOST:CONTAINER[/tcp|udp]`, and their
//! reservation. netavark's DNAT rules do not notice a port published
//! twice, so strata keeps a file per published port,
//! `networks/ports/PROTO_IP_PORT`, and also binds the port once to see
//! that nothing else in the namespace listens on it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};
use crate::{atomic, lock::Locked};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// None: every address of the namespace.
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    pub container_port: u16,
    /// "tcp" or "udp".
    pub protocol: String,
}

impl PortMapping {
    /// `-p [IP:]HOST[-HOST2]:CONTAINER[-CONTAINER2][/tcp|udp]`: one mapping
    /// per port (a range maps port by port, both sides the same length).
    pub fn parse_all(s: &str) -> std::result::Result<Vec<Self>, String> {
        let (spec, protocol) = match s.rsplit_once('/') {
            Some((spec, p @ ("tcp" | "udp"))) => (spec, p),
            Some((_, p)) => return Err(format!("{s:?}: protocol {p:?} is not tcp or udp")),
            None => (s, "tcp"),
        };
        let parts: Vec<&str> = spec.split(':').collect();
        let (ip, host, container) = match parts.as_slice() {
            // No host port: a free one is picked at each start (docker's
            // `-p 80`, `-p IP::80`).
            [container] => (None, "", *container),
            [host, container] => (None, *host, *container),
            [ip, host, container] => (Some(*ip).filter(|i| !i.is_empty()), *host, *container),
            _ => {
                return Err(format!(
                    "{s:?}: expected [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp]"
                ));
            }
        };
        let port = |p: &str, what: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("{s:?}: {what} port {p:?} is not a number from 1 to 65535"))
        };
        let range = |r: &str, what: &str| -> std::result::Result<(u16, u16), String> {
            match r.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (port(a, what)?, port(b, what)?);
                    if b < a {
                        return Err(format!("{s:?}: {what} range {r:?} ends before it starts"));
                    }
                    Ok((a, b))
                }
                None => port(r, what).map(|p| (p, p)),
            }
        };
        let host_ip = ip
            .map(|i| {
                i.parse::<Ipv4Addr>()
                    .map_err(|_| format!("{s:?}: {i:?} is not an IPv4 address"))
            })
            .transpose()?
            // 0.0.0.0 is every address, as no address is.
            .filter(|ip| !ip.is_unspecified());
        let (c1, c2) = range(container, "container")?;
        let (h1, h2) = if host.is_empty() {
            (0, c2 - c1)
        } else {
            range(host, "host")?
        };
        if h2 - h1 != c2 - c1 {
            return Err(format!(
                "{s:?}: the host and container ranges differ in length"
            ));
        }
        Ok((0..=h2 - h1)
            .map(|n| Self {
                host_ip,
                host_port: if host.is_empty() { 0 } else { h1 + n },
                container_port: c1 + n,
                protocol: protocol.to_owned(),
            })
            .collect())
    }
}

impl FromStr for PortMapping {
    type Err = String;

    /// One port; see [`PortMapping::parse_all`] for ranges.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let mut all = Self::parse_all(s)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            _ => Err(format!("{s:?}: a range where one port was expected")),
        }
    }
}

impl PortMapping {
    fn file_name(&self) -> String {
        let ip = self.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
        format!("{}_{ip}_{}", self.protocol, self.host_port)
    }

    fn clashes(&self, other: &PortMapping) -> bool {
        self.protocol == other.protocol
            && self.host_port == other.host_port
            && (self.host_ip.is_none() || other.host_ip.is_none() || self.host_ip == other.host_ip)
    }

    /// Binds the port for a moment: fails if anything listens on it.
    fn probe(&self) -> std::io::Result<()> {
        let ip = IpAddr::V4(self.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED));
        let addr = SocketAddr::new(ip, self.host_port);
        match self.protocol.as_str() {
            "udp" => UdpSocket::bind(addr).map(drop),
            _ => TcpListener::bind(addr).map(drop),
        }
    }
}

fn ports_dir(dir: &Path) -> PathBuf {
    dir.join("ports")
}

/// Reserves every mapping for `container`, or none of them; a mapping
/// with host port 0 gets a free one. Returns the mappings as reserved.
pub fn reserve(
    _locked: &Locked,
    dir: &Path,
    container: &str,
    ports: &[PortMapping],
) -> Result<Vec<PortMapping>> {
    let pdir = ports_dir(dir);
    std::fs::create_dir_all(&pdir).map_err(io("create", &pdir))?;
    let held = reserved(&pdir)?;
    let fixed: Vec<PortMapping> = ports.iter().filter(|p| p.host_port != 0).cloned().collect();
    check(&held, &fixed)?;
    let mut chosen: Vec<PortMapping> = Vec::with_capacity(ports.len());
    for p in ports {
        if p.host_port != 0 {
            chosen.push(p.clone());
            continue;
        }
        let taken = |q: &PortMapping| {
            held.iter().any(|(h, _)| h.clashes(q))
                || fixed.iter().chain(chosen.iter()).any(|c| c.clashes(q))
        };
        let (low, high) = ephemeral_range();
        let free = (low..=high)
            .map(|port| PortMapping {
                host_port: port,
                ..p.clone()
            })
            .find(|q| !taken(q) && q.probe().is_ok())
            .ok_or_else(|| Error::NoFreePort {
                ip: p
                    .host_ip
                    .map_or("every address".to_owned(), |i| i.to_string()),
                proto: p.protocol.clone(),
                low,
                high,
            })?;
        chosen.push(free);
    }
    for (i, p) in chosen.iter().enumerate() {
        if let Err(e) = atomic::write(&pdir.join(p.file_name()), container.as_bytes()) {
            release(_locked, dir, container, &chosen[..i])?;
            return Err(e);
        }
    }
    Ok(chosen)
}

/// Fails, naming the holder, if a mapping with a host port clashes with
/// one reserved, with another of `ports`, or with a listener.
fn check(held: &[(PortMapping, String)], ports: &[PortMapping]) -> Result<()> {
    for (i, p) in ports.iter().enumerate() {
        let taken = |by: String| Error::PortTaken {
            ip: p
                .host_ip
                .map_or("every address".to_owned(), |i| i.to_string()),
            port: p.host_port,
            proto: p.protocol.clone(),
            by,
        };
        if let Some((_, holder)) = held.iter().find(|(q, _)| q.clashes(p)) {
            return Err(taken(format!(" (published by container {holder})")));
        }
        if ports[..i].iter().any(|q| q.clashes(p)) {
            return Err(taken(" (published twice by this container)".to_owned()));
        }
        if let Err(e) = p.probe() {
            return Err(taken(format!(" ({e})")));
        }
    }
    Ok(())
}

/// [`reserve`]'s checks without reserving: `create` and `run -d` refuse a
/// taken host port before they make a container record.
pub fn check_free(_locked: &Locked, dir: &Path, ports: &[PortMapping]) -> Result<()> {
    let pdir = ports_dir(dir);
    let held = if pdir.exists() {
        reserved(&pdir)?
    } else {
        Vec::new()
    };
    let fixed: Vec<PortMapping> = ports.iter().filter(|p| p.host_port != 0).cloned().collect();
    check(&held, &fixed)
}

/// Where picked host ports come from: the kernel's ephemeral range, as
/// docker's port allocator reads it.
fn ephemeral_range() -> (u16, u16) {
    let text =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let mut f = text.split_whitespace().map(|n| n.parse::<u16>());
    match (f.next(), f.next()) {
        (Some(Ok(low)), Some(Ok(high))) if low > 0 && low <= high => (low, high),
        _ => (32768, 60999),
    }
}

pub fn release(_locked: &Locked, dir: &Path, container: &str, ports: &[PortMapping]) -> Result<()> {
    let pdir = ports_dir(dir);
    for p in ports {
        let path = pdir.join(p.file_name());
        if std::fs::read_to_string(&path).is_ok_and(|h| h == container) {
            atomic::remove(&path)?;
        }
    }
    Ok(())
}

fn reserved(pdir: &Path) -> Result<Vec<(PortMapping, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(pdir).map_err(io("read", pdir))? {
        let path = entry.map_err(io("read", pdir))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let f: Vec<&str> = name.split('_').collect();
        let [proto, ip, port] = f.as_slice() else {
            continue;
        };
        let (Ok(ip), Ok(port)) = (ip.parse::<Ipv4Addr>(), port.parse::<u16>()) else {
            continue;
        };
        let holder = std::fs::read_to_string(&path).unwrap_or_default();
        out.push((
            PortMapping {
                host_ip: (!ip.is_unspecified()).then_some(ip),
                host_port: port,
                container_port: 0,
                protocol: (*proto).to_owned(),
            },
            holder,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_specs_read_as_docker_writes_them() {
        let p: PortMapping = "8080:80".parse().unwrap();
        assert_eq!((p.host_ip, p.host_port, p.container_port), (None, 8080, 80));
        assert_eq!(p.protocol, "tcp");
        let p: PortMapping = "127.0.0.1:53:5353/udp".parse().unwrap();
        assert_eq!(p.host_ip, Some(Ipv4Addr::LOCALHOST));
        assert_eq!(p.protocol, "udp");
        let every: PortMapping = "0.0.0.0:8080:80".parse().unwrap();
        assert_eq!(every.host_ip, None);
        let any: PortMapping = "80".parse().unwrap();
        assert_eq!((any.host_port, any.container_port), (0, 80));
        let lo_any: PortMapping = "127.0.0.1::80/udp".parse().unwrap();
        assert_eq!(
            (lo_any.host_ip, lo_any.host_port),
            (Some(Ipv4Addr::LOCALHOST), 0)
        );
        for bad in ["0", "0:80", "a:80", "1:2:3:4", "80:80/sctp", "x:1:2"] {
            assert!(bad.parse::<PortMapping>().is_err(), "{bad:?}");
        }
        let range = PortMapping::parse_all("8081-8082:80-81/udp").unwrap();
        let pairs: Vec<(u16, u16)> = range
            .iter()
            .map(|p| (p.host_port, p.container_port))
            .collect();
        assert_eq!(pairs, [(8081, 80), (8082, 81)]);
        assert!(range.iter().all(|p| p.protocol == "udp"));
        for bad in ["8081-8083:80-81", "8082-8081:80-79", "8081-8082:80"] {
            assert!(PortMapping::parse_all(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_port_on_every_address_clashes_with_one_on_any_address() {
        let all: PortMapping = "8080:80".parse().unwrap();
        let lo: PortMapping = "127.0.0.1:8080:81".parse().unwrap();
        let other: PortMapping = "127.0.0.2:8080:81".parse().unwrap();
        let udp: PortMapping = "8080:80/udp".parse().unwrap();
        assert!(all.clashes(&lo));
        assert!(!lo.clashes(&other));
        assert!(!all.clashes(&udp));
    }
}
