//! The firewall of strata's own networks: one nftables table, `ip
//! strata`, made once with its chains, sets and maps; a network adds its
//! bridge and subnet to the sets and its isolation chains to the verdict
//! maps, a container its published ports to the maps. Every change is
//! one `nft -f -` transaction, so a reader never sees half of one.
//!
//! The rules, as docker's bridge driver has them:
//! - out: a subnet's traffic leaving by any other interface is
//!   masqueraded; not for `--internal` networks, whose traffic cannot
//!   leave their bridge at all;
//! - isolation: nothing passes between two strata bridges;
//! - ports: a connection to a local address and a published port (from
//!   outside, or from the host itself through route_localnet) is DNATed to
//!   the container; the host's own (from 127.0.0.0/8) and hairpin ones
//!   are masqueraded so the answer comes back the same way.

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use crate::PortMapping;
use crate::error::{Error, Result};
use crate::record::NetworkRecord;

const TABLE: &str = "ip strata";

/// The table, made only if absent (rules added twice would be there twice).
fn table() -> String {
    let t = TABLE;
    [
        format!("add table {t}"),
        format!("add map {t} tcp_any {{ type inet_service : ipv4_addr . inet_service; }}"),
        format!("add map {t} udp_any {{ type inet_service : ipv4_addr . inet_service; }}"),
        format!(
            "add map {t} tcp_ip {{ type ipv4_addr . inet_service : ipv4_addr . inet_service; }}"
        ),
        format!(
            "add map {t} udp_ip {{ type ipv4_addr . inet_service : ipv4_addr . inet_service; }}"
        ),
        format!("add set {t} nat_subnets {{ type ipv4_addr; flags interval; }}"),
        format!("add set {t} bridges {{ type ifname; }}"),
        format!("add map {t} from_bridge {{ type ifname : verdict; }}"),
        format!("add map {t} to_bridge {{ type ifname : verdict; }}"),
        format!("add chain {t} ports"),
        format!("add chain {t} prerouting {{ type nat hook prerouting priority dstnat; }}"),
        format!("add chain {t} output {{ type nat hook output priority -100; }}"),
        format!("add chain {t} postrouting {{ type nat hook postrouting priority srcnat; }}"),
        format!("add chain {t} forward {{ type filter hook forward priority filter; }}"),
        format!("add rule {t} prerouting fib daddr type local jump ports"),
        format!("add rule {t} output fib daddr type local jump ports"),
        format!("add rule {t} ports dnat ip to ip daddr . tcp dport map @tcp_ip"),
        format!("add rule {t} ports dnat ip to tcp dport map @tcp_any"),
        format!("add rule {t} ports dnat ip to ip daddr . udp dport map @udp_ip"),
        format!("add rule {t} ports dnat ip to udp dport map @udp_any"),
        format!("add rule {t} postrouting oifname != @bridges ip saddr @nat_subnets masquerade"),
        format!("add rule {t} postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade"),
        format!(
            "add rule {t} postrouting ct status dnat iifname @bridges oifname @bridges masquerade"
        ),
        format!("add rule {t} forward iifname vmap @from_bridge"),
        format!("add rule {t} forward oifname vmap @to_bridge"),
    ]
    .join("\n")
}

/// A network's part: its isolation chains, its bridge and (unless
/// internal) its subnet in the sets.
fn network_text(net: &NetworkRecord) -> String {
    let t = TABLE;
    let br = &net.interface;
    let mut lines = vec![
        format!("add chain {t} from-{br}"),
        format!("flush chain {t} from-{br}"),
        format!("add chain {t} to-{br}"),
        format!("flush chain {t} to-{br}"),
    ];
    if net.internal {
        lines.push(format!("add rule {t} from-{br} oifname != \"{br}\" drop"));
        lines.push(format!("add rule {t} to-{br} iifname != \"{br}\" drop"));
    } else {
        lines.push(format!(
            "add rule {t} from-{br} oifname \"strata*\" oifname != \"{br}\" drop"
        ));
        lines.push(format!(
            "add rule {t} to-{br} iifname \"strata*\" iifname != \"{br}\" drop"
        ));
        lines.push(format!("add element {t} nat_subnets {{ {} }}", net.subnet));
    }
    lines.push(format!("add element {t} bridges {{ \"{br}\" }}"));
    lines.push(format!(
        "add element {t} from_bridge {{ \"{br}\" : jump from-{br} }}"
    ));
    lines.push(format!(
        "add element {t} to_bridge {{ \"{br}\" : jump to-{br} }}"
    ));
    lines.join("\n")
}

pub(super) fn add_network(net: &NetworkRecord) -> Result<()> {
    if !table_exists() {
        nft(&table())?;
    }
    nft(&network_text(net))
}

/// Each line alone, so one already gone does not keep the rest.
pub(super) fn remove_network(net: &NetworkRecord) -> Result<()> {
    let t = TABLE;
    let br = &net.interface;
    let mut first = None;
    let mut lines = vec![
        format!("delete element {t} from_bridge {{ \"{br}\" }}"),
        format!("delete element {t} to_bridge {{ \"{br}\" }}"),
        format!("delete element {t} bridges {{ \"{br}\" }}"),
        format!("delete chain {t} from-{br}"),
        format!("delete chain {t} to-{br}"),
    ];
    if !net.internal {
        lines.push(format!(
            "delete element {t} nat_subnets {{ {} }}",
            net.subnet
        ));
    }
    for line in lines {
        if let Err(e) = nft(&line)
            && !gone(&e)
        {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

fn port_key(p: &PortMapping) -> (String, String) {
    match p.host_ip {
        Some(hip) => (
            format!("{}_ip", p.protocol),
            format!("{hip} . {}", p.host_port),
        ),
        None => (format!("{}_any", p.protocol), p.host_port.to_string()),
    }
}

fn ports_text(ip: Ipv4Addr, ports: &[PortMapping]) -> String {
    ports
        .iter()
        .map(|p| {
            let (map, key) = port_key(p);
            format!(
                "add element {TABLE} {map} {{ {key} : {ip} . {} }}",
                p.container_port
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn add_ports(ip: Ipv4Addr, ports: &[PortMapping]) -> Result<()> {
    if ports.is_empty() {
        return Ok(());
    }
    nft(&ports_text(ip, ports))
}

pub(super) fn remove_ports(ports: &[PortMapping]) -> Result<()> {
    if ports.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = ports
        .iter()
        .map(|p| {
            let (map, key) = port_key(p);
            format!("delete element {TABLE} {map} {{ {key} }}")
        })
        .collect();
    // All in one transaction; if one was gone already, the others alone.
    if nft(&lines.join("\n")).is_ok() {
        return Ok(());
    }
    let mut first = None;
    for line in lines {
        if let Err(e) = nft(&line)
            && !gone(&e)
        {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

fn table_exists() -> bool {
    Command::new("nft")
        .args(["list", "table", "ip", "strata"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn gone(e: &Error) -> bool {
    matches!(e, Error::Tool { msg, .. } if msg.contains("No such file or directory"))
}

fn nft(script: &str) -> Result<()> {
    let mut cmd = Command::new("nft");
    cmd.args(["-f", "-"]);
    super::tool::run_script(cmd, "nft", "nftables", script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(internal: bool) -> NetworkRecord {
        NetworkRecord {
            name: "strata".into(),
            id: "0".into(),
            driver: "bridge".into(),
            subnet: "10.88.0.0/16".parse().unwrap(),
            gateway: "10.88.0.1".parse().unwrap(),
            internal,
            dns_enabled: false,
            interface: "strata0".into(),
            labels: Default::default(),
            created: 0,
        }
    }

    #[test]
    fn a_network_is_isolated_from_other_bridges_and_nated_unless_internal() {
        let open = network_text(&net(false));
        assert!(open.contains(r#"from-strata0 oifname "strata*" oifname != "strata0" drop"#));
        assert!(open.contains("nat_subnets { 10.88.0.0/16 }"));
        let closed = network_text(&net(true));
        assert!(closed.contains(r#"from-strata0 oifname != "strata0" drop"#));
        assert!(!closed.contains("nat_subnets"));
    }

    #[test]
    fn ports_map_by_host_address_when_one_is_given() {
        let ports = PortMapping::parse_all("127.0.0.1:8080:80")
            .unwrap()
            .into_iter()
            .chain(PortMapping::parse_all("53:5353/udp").unwrap())
            .collect::<Vec<_>>();
        assert_eq!(
            ports_text("10.88.0.2".parse().unwrap(), &ports),
            "add element ip strata tcp_ip { 127.0.0.1 . 8080 : 10.88.0.2 . 80 }\n\
             add element ip strata udp_any { 53 : 10.88.0.2 . 5353 }"
        );
    }
}
