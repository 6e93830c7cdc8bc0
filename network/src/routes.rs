//! The IPv4 routes of the current network namespace, from
//! /proc/net/route, so a new subnet can avoid the ones in use.

use std::net::Ipv4Addr;

use crate::Ipv4Net;

/// Destinations of the namespace's routes, the default route left out
/// (every subnet "overlaps" 0.0.0.0/0).
pub fn current() -> std::io::Result<Vec<Ipv4Net>> {
    Ok(parse(&std::fs::read_to_string("/proc/net/route")?))
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
