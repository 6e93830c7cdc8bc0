//! The /etc/hosts and /etc/resolv.conf a container on a network sees.
//! They live beside the attachment record and are bound over the image's
//! files, so they never land in the container's diff.

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

pub fn hosts(name: &str, ips: &[Ipv4Addr], extra: &[(String, IpAddr)]) -> String {
    let mut out = String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    for ip in ips {
        let _ = writeln!(out, "{ip}\t{name}");
    }
    for (host, ip) in extra {
        let _ = writeln!(out, "{ip}\t{host}");
    }
    out
}

/// The network's DNS server when it has one; else the nameservers of the
/// namespace strata runs in, minus loopback ones, which the container's
/// own loopback would answer (docker's rule).
/// `options` (`--dns-option`) replace the host's.
pub fn resolv_conf(nameservers: &[IpAddr], search: &[String], options: &[String]) -> String {
    let mut out = String::new();
    if !search.is_empty() {
        let _ = writeln!(out, "search {}", search.join(" "));
    }
    let options_line = (!options.is_empty()).then(|| format!("options {}\n", options.join(" ")));
    if !nameservers.is_empty() {
        for ns in nameservers {
            let _ = writeln!(out, "nameserver {ns}");
        }
        out.extend(options_line);
        return out;
    }
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    for line in host.lines() {
        let mut f = line.split_whitespace();
        match (f.next(), f.next()) {
            (Some("nameserver"), Some(ns))
                if ns.parse::<IpAddr>().is_ok_and(|ip| !ip.is_loopback()) =>
            {
                let _ = writeln!(out, "nameserver {ns}");
            }
            (Some("search"), Some(_)) if search.is_empty() => {
                let _ = writeln!(out, "{line}");
            }
            (Some("options"), Some(_)) if search.is_empty() && options.is_empty() => {
                let _ = writeln!(out, "{line}");
            }
            _ => {}
        }
    }
    out.extend(options_line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_the_container_and_the_added_hosts() {
        let h = hosts(
            "web",
            &[Ipv4Addr::new(10, 89, 0, 2)],
            &[("db".into(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)))],
        );
        assert!(h.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(h.contains("10.89.0.2\tweb\n"));
        assert!(h.ends_with("10.0.0.9\tdb\n"));
    }

    #[test]
    fn the_networks_dns_server_comes_with_its_search_domain() {
        let r = resolv_conf(
            &[IpAddr::V4(Ipv4Addr::new(10, 89, 0, 1))],
            &["dns.podman".into()],
            &[],
        );
        assert_eq!(r, "search dns.podman\nnameserver 10.89.0.1\n");
    }
}
