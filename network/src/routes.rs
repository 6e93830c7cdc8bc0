//! The IPv4 routes of the current network namespace, from
//! /proc/net/route, so a new subnet can avoid the ones in use.

use std::net::Ipv4Addr;

use crate::Ipv4Net;

/// Destinations of the namespace's routes, the default route left out
/// (every subnet "overlaps" 0.0.0.0/0).
pub fn current() -> std::io::Result<Vec<Ipv4Net>> {
    Ok(parse(&std::fs::read_to_string("/proc/net/route")?))
}

/// Whether the namespace has a default route, IPv4 or IPv6: pasta needs
/// one to find the interface it copies.
pub fn has_default_route() -> bool {
    let v4 = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    has_default(&v4, &v6)
}

fn has_default(v4: &str, v6: &str) -> bool {
    let v4_default = v4.lines().skip(1).any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        f.get(1) == Some(&"00000000") && f.get(7) == Some(&"00000000")
    });
    // ipv6_route: destination, its prefix length, ...; the last field is
    // the device, "lo" for the kernel's unreachable default.
    let v6_default = v6.lines().any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        f.first().is_some_and(|d| d.bytes().all(|b| b == b'0'))
            && f.get(1) == Some(&"00")
            && f.last().is_some_and(|dev| *dev != "lo")
    });
    v4_default || v6_default
}

fn parse(table: &str) -> Vec<Ipv4Net> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // The kernel prints each address as the hex of its network-order
            // bytes read as a native u32: native bytes give it back.
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?;
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?;
            let len = mask.count_ones() as u8;
            let addr = Ipv4Addr::from(dest.to_ne_bytes());
            (len > 0).then(|| Ipv4Net::new(addr, len)).flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_route_is_found_in_either_table() {
        let head =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
        let v4 = format!("{head}eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
        let local = format!("{head}eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n";
        let unreachable = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        assert!(has_default(&v4, ""));
        assert!(has_default(&local, v6));
        assert!(!has_default(&local, unreachable));
        assert!(!has_default(head, ""));
    }

    #[test]
    fn routes_are_read_from_the_kernel_table() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
            eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
            br0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        let routes = parse(table);
        assert_eq!(
            routes,
            vec![
                "192.168.1.0/24".parse().unwrap(),
                "10.88.0.0/16".parse().unwrap()
            ]
        );
    }
}
