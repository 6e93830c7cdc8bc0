//! The resolv.conf a pasta namespace gets: the outer one, except that a
//! nameserver on loopback (systemd-resolved's 127.0.0.53, a local
//! dnsmasq) is out of reach from inside, whose loopback is its own. Those
//! become pasta's DNS forwarding address, which pasta sends on to the
//! outer namespace's first nameserver.

use std::net::IpAddr;

pub fn for_namespace(outer: &str, forward: &str) -> String {
    let mut out = String::new();
    let mut forwarded = false;
    for line in outer.lines() {
        let mut words = line.split_whitespace();
        let server = match (words.next(), words.next()) {
            (Some("nameserver"), Some(addr)) => addr.parse::<IpAddr>().ok(),
            _ => None,
        };
        match server {
            Some(ip) if ip.is_loopback() => {
                if !forwarded {
                    out.push_str(&format!("nameserver {forward}\n"));
                    forwarded = true;
                }
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_nameservers_become_the_forwarding_address_once() {
        let outer = "search example.org\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\n";
        assert_eq!(
            for_namespace(outer, "169.254.1.1"),
            "search example.org\nnameserver 169.254.1.1\noptions edns0\n"
        );
    }

    #[test]
    fn reachable_nameservers_are_kept_as_they_are() {
        let outer = "nameserver 10.255.255.53\nnameserver 2001:db8::53\n";
        assert_eq!(for_namespace(outer, "169.254.1.1"), outer);
    }
}
