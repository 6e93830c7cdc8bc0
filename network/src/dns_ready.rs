//! netavark returns once it has sent aardvark-dns SIGHUP, before the
//! server has reloaded; a container that starts at once may ask during the
//! reload and be told its peers do not exist. So setup waits until the
//! network's DNS server answers the container's own name.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Waits up to `limit` for an A record of `name` from `server`:53.
/// Returns whether one came.
pub fn wait_for(server: IpAddr, name: &str, limit: Duration) -> bool {
    let Ok(sock) = UdpSocket::bind(SocketAddr::new(unspecified(server), 0)) else {
        return false;
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(50)));
    let query = query(0x5d5d, name);
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        if sock.send_to(&query, (server, 53)).is_ok()
            && let Ok(n) = sock.recv(&mut buf)
            && answered(&buf[..n], 0x5d5d)
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn unspecified(server: IpAddr) -> IpAddr {
    match server {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    }
}

/// A standard query (RFC 1035 4.1) for the A record of `name`.
fn query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(32 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let bytes = &label.as_bytes()[..label.len().min(63)];
        q.push(bytes.len() as u8);
        q.extend_from_slice(bytes);
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// Our id, no error code, at least one answer.
fn answered(resp: &[u8], id: u16) -> bool {
    resp.len() >= 12
        && resp[..2] == id.to_be_bytes()
        && resp[3] & 0x0f == 0
        && u16::from_be_bytes([resp[6], resp[7]]) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded_as_rfc_1035_says() {
        let q = query(7, "web.dns.podman");
        assert_eq!(&q[..4], &[0, 7, 1, 0]);
        assert_eq!(&q[12..16], b"\x03web");
        assert!(q.ends_with(b"\x06podman\x00\x00\x01\x00\x01"));
    }

    #[test]
    fn only_an_answer_to_our_query_counts() {
        let mut resp = vec![0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        assert!(answered(&resp, 7));
        assert!(!answered(&resp, 8));
        resp[3] = 0x83; // NXDOMAIN
        assert!(!answered(&resp, 7));
    }
}
