//! IPv4 subnets as `a.b.c.d/len`: parsing, membership, overlap and the
//! n-th address, which is all that allocation and clash checks need.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Net {
    addr: Ipv4Addr,
    len: u8,
}

impl Ipv4Net {
    /// The subnet holding `addr`, with host bits cleared.
    pub fn new(addr: Ipv4Addr, len: u8) -> Option<Self> {
        (len <= 32).then(|| Self {
            addr: Ipv4Addr::from(u32::from(addr) & mask(len)),
            len,
        })
    }

    pub fn network(&self) -> Ipv4Addr {
        self.addr
    }

    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.len) == u32::from(self.addr)
    }

    /// Two subnets overlap when the shorter prefix contains the other.
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        let len = self.len.min(other.len);
        u32::from(self.addr) & mask(len) == u32::from(other.addr) & mask(len)
    }

    /// The `n`-th address after the network address, if it is a host
    /// address (not the network or broadcast address).
    pub fn host(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u64 << (32 - u32::from(self.len));
        (n >= 1 && u64::from(n) < size.saturating_sub(1))
            .then(|| Ipv4Addr::from(u32::from(self.addr) + n))
    }

    /// Whether `ip` is a host address of this subnet.
    pub fn is_host(&self, ip: Ipv4Addr) -> bool {
        self.contains(ip) && self.host(u32::from(ip) - u32::from(self.addr)).is_some()
    }
}

fn mask(len: u8) -> u32 {
    match len {
        0 => 0,
        l => u32::MAX << (32 - u32::from(l.min(32))),
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv4Net {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a subnet: expected A.B.C.D/LEN"))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("{s:?}: {addr:?} is not an IPv4 address"))?;
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 32)
            .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to 32"))?;
        let net = Self::new(addr, len).ok_or_else(|| format!("{s:?}: bad prefix"))?;
        if net.addr != addr {
            return Err(format!("{s:?} has host bits set; the subnet is {net}"));
        }
        Ok(net)
    }
}

impl Serialize for Ipv4Net {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ipv4Net {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn subnets_with_host_bits_are_refused() {
        assert!("10.1.2.3/24".parse::<Ipv4Net>().is_err());
        assert!("10.1.2.0/33".parse::<Ipv4Net>().is_err());
        assert_eq!(net("10.1.2.0/24").to_string(), "10.1.2.0/24");
    }

    #[test]
    fn overlap_is_containment_of_the_shorter_prefix() {
        assert!(net("10.88.0.0/16").overlaps(&net("10.88.3.0/24")));
        assert!(net("10.88.3.0/24").overlaps(&net("10.88.0.0/16")));
        assert!(!net("10.89.0.0/24").overlaps(&net("10.89.1.0/24")));
    }

    #[test]
    fn hosts_exclude_network_and_broadcast() {
        let n = net("10.89.0.0/30");
        assert_eq!(n.host(0), None);
        assert_eq!(n.host(1), Some(Ipv4Addr::new(10, 89, 0, 1)));
        assert_eq!(n.host(2), Some(Ipv4Addr::new(10, 89, 0, 2)));
        assert_eq!(n.host(3), None);
        assert!(n.is_host(Ipv4Addr::new(10, 89, 0, 2)));
        assert!(!n.is_host(Ipv4Addr::new(10, 89, 0, 3)));
        assert!(!n.is_host(Ipv4Addr::new(10, 90, 0, 2)));
    }
}
