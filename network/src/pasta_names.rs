//! What a container on pasta is told about names: `--dns`,
//! `--dns-search`, `--dns-option` and `--add-host`, for the foreground
//! run's namespace (pasta.rs) and a monitored container's attachment
//! (pasta_attach.rs) alike. Each of the three resolv.conf settings given
//! replaces the outer file's (docker's rule, as on a bridge); the others
//! are the outer file's, loopback nameservers made reachable from inside.
//!
//! `NAME:host-gateway` names the host: pasta maps the namespace's
//! gateway address (a copy of the outer default route's) to the outer
//! namespace's loopback, as podman's `host.containers.internal` on pasta.

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

use crate::attach::Request;
use crate::error::{Error, Result};
use crate::{DNS_FORWARD, resolv};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PastaNames {
    pub dns: Vec<IpAddr>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--add-host NAME:IP`.
    pub add_hosts: Vec<(String, IpAddr)>,
    /// `--add-host NAME:host-gateway`: resolved when the namespace is made.
    pub host_gateway: Vec<String>,
}

impl PastaNames {
    pub fn of(req: &Request) -> Self {
        Self {
            dns: req.dns.clone(),
            dns_search: req.dns_search.clone(),
            dns_options: req.dns_options.clone(),
            add_hosts: req.add_hosts.clone(),
            host_gateway: req.host_gateway.clone(),
        }
    }

    /// Whether any flag was given, so the container needs files of its own.
    pub fn is_given(&self) -> bool {
        *self != Self::default()
    }

    /// The `--add-host` lines, `host-gateway` as the namespace's gateway.
    pub fn hosts(&self) -> Result<Vec<(String, IpAddr)>> {
        let mut hosts = self.add_hosts.clone();
        if !self.host_gateway.is_empty() {
            let route = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
            let gateway = gateway_of(&route).ok_or_else(|| {
                Error::Invalid(format!(
                    "--add-host {}:host-gateway: there is no default IPv4 route, so no \
                     address inside reaches the host",
                    self.host_gateway[0]
                ))
            })?;
            hosts.extend(
                self.host_gateway
                    .iter()
                    .map(|n| (n.clone(), IpAddr::V4(gateway))),
            );
        }
        Ok(hosts)
    }

    /// The container's resolv.conf, from the outer one.
    pub fn resolv_conf(&self, outer: &str) -> String {
        let base = resolv::for_namespace(outer, DNS_FORWARD);
        let mut out = String::new();
        if !self.dns_search.is_empty() {
            let _ = writeln!(out, "search {}", self.dns_search.join(" "));
        }
        for line in base.lines() {
            let replaced = match line.split_whitespace().next() {
                Some("nameserver") => !self.dns.is_empty(),
                Some("search" | "domain") => !self.dns_search.is_empty(),
                Some("options") => !self.dns_options.is_empty(),
                _ => false,
            };
            if !replaced {
                let _ = writeln!(out, "{line}");
            }
        }
        for ns in &self.dns {
            let _ = writeln!(out, "nameserver {ns}");
        }
        if !self.dns_options.is_empty() {
            let _ = writeln!(out, "options {}", self.dns_options.join(" "));
        }
        out
    }
}

/// The gateway of `route`'s (/proc/net/route's) default IPv4 route.
pub(crate) fn gateway_of(route: &str) -> Option<Ipv4Addr> {
    route.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(1) != Some(&"00000000") || f.get(7) != Some(&"00000000") {
            return None;
        }
        let gw = u32::from_str_radix(f.get(2)?, 16).ok()?;
        // As routes.rs: the hex of network-order bytes read natively.
        Some(Ipv4Addr::from(gw.to_ne_bytes())).filter(|g| !g.is_unspecified())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTER: &str =
        "search corp.example\nnameserver 127.0.0.53\nnameserver 10.0.0.53\noptions edns0\n";

    #[test]
    fn with_no_flag_the_outer_file_is_kept_loopback_forwarded() {
        let r = PastaNames::default().resolv_conf(OUTER);
        assert_eq!(r, resolv::for_namespace(OUTER, DNS_FORWARD));
    }

    #[test]
    fn each_flag_given_replaces_its_own_lines_only() {
        let names = PastaNames {
            dns: vec!["192.0.2.53".parse().unwrap()],
            dns_options: vec!["ndots:3".into(), "timeout:1".into()],
            ..Default::default()
        };
        assert_eq!(
            names.resolv_conf(OUTER),
            "search corp.example\nnameserver 192.0.2.53\noptions ndots:3 timeout:1\n"
        );
        let names = PastaNames {
            dns_search: vec!["a.test".into(), "b.test".into()],
            ..Default::default()
        };
        assert_eq!(
            names.resolv_conf(OUTER),
            "search a.test b.test\nnameserver 169.254.1.1\nnameserver 10.0.0.53\noptions edns0\n"
        );
    }

    #[test]
    fn the_default_routes_gateway_is_read_from_the_kernel_table() {
        let head =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
        let table = format!(
            "{head}eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
             eth0\t00000000\tFE0200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        );
        assert_eq!(gateway_of(&table), Some(Ipv4Addr::new(192, 0, 2, 254)));
        assert_eq!(gateway_of(head), None);
    }
}
