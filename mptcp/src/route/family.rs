//! Address families, gateways and prefixes: the vocabulary of the planner.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// IPv4 or IPv6: routes and rules exist once per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4 (`AF_INET`).
    V4,
    /// IPv6 (`AF_INET6`).
    V6,
}

impl Family {
    /// Both families, IPv4 first.
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// The family of `addr`.
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// Bits in an address of this family (32 or 128).
    pub fn max_len(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The all-zero address (`0.0.0.0` or `::`), the destination of a
    /// default route.
    pub fn unspecified(self) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// The metric the kernel gives a route added without one: 0 for IPv4,
    /// 1024 for IPv6 (`IP6_RT_PRIO_USER`). Routes in a WAN's table use it,
    /// so what the kernel reports back compares equal to what was asked.
    pub fn default_metric(self) -> u32 {
        match self {
            Family::V4 => 0,
            Family::V6 => 1024,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

/// How a default route leaves through its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gateway {
    /// Through a next hop on the link (`default via 192.0.2.1 dev eth1`;
    /// an IPv6 gateway is often link-local).
    Via(IpAddr),
    /// Straight out of a point-to-point device (`default dev ppp0`).
    Direct(Family),
}

impl Gateway {
    /// The family of the default route this gateway serves.
    pub fn family(self) -> Family {
        match self {
            Gateway::Via(ip) => Family::of(ip),
            Gateway::Direct(family) => family,
        }
    }

    /// The next hop's address, if there is one.
    pub fn via(self) -> Option<IpAddr> {
        match self {
            Gateway::Via(ip) => Some(ip),
            Gateway::Direct(_) => None,
        }
    }

    /// Whether a route can be sent through it: a next hop must be a
    /// unicast address of some host.
    pub(crate) fn is_usable(self) -> bool {
        match self {
            Gateway::Via(ip) => !ip.is_unspecified() && !ip.is_multicast() && !ip.is_loopback(),
            Gateway::Direct(_) => true,
        }
    }
}

/// `via 192.0.2.1` or `dev only`.
impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gateway::Via(ip) => write!(f, "via {ip}"),
            Gateway::Direct(_) => f.write_str("dev only"),
        }
    }
}

/// Whether `addr` is link-local (`169.254.0.0/16`, `fe80::/10`).
pub(crate) fn is_link_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// An address prefix, `192.0.2.0/24`. [`Prefix::new`] clears host bits,
/// so two spellings of one network compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

impl Prefix {
    /// The network of `addr` with `len` bits, host bits cleared. `None`
    /// when `len` is longer than the address.
    pub fn new(addr: IpAddr, len: u8) -> Option<Prefix> {
        let addr = match addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32u32.checked_sub(u32::from(len))?);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask.unwrap_or(0)))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128u32.checked_sub(u32::from(len))?);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask.unwrap_or(0)))
            }
        };
        Some(Prefix { addr, len })
    }

    /// The default route's destination for `family` (`0.0.0.0/0`, `::/0`).
    pub fn default_route(family: Family) -> Prefix {
        Prefix {
            addr: family.unspecified(),
            len: 0,
        }
    }

    /// The host prefix of one address (`/32`, `/128`).
    pub fn host(addr: IpAddr) -> Prefix {
        Prefix {
            addr,
            len: Family::of(addr).max_len(),
        }
    }

    /// The network address.
    pub fn addr(self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix_len(self) -> u8 {
        self.len
    }

    /// Whether this is a default route's destination (length 0).
    pub fn is_default(self) -> bool {
        self.len == 0
    }

    /// The prefix's family.
    pub fn family(self) -> Family {
        Family::of(self.addr)
    }

    /// Whether `addr` is inside this prefix.
    pub fn contains(self, addr: IpAddr) -> bool {
        Family::of(addr) == self.family() && Prefix::new(addr, self.len) == Some(self)
    }
}

/// `default` for length 0 (as `ip route` prints it), else `addr/len`.
impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            f.write_str("default")
        } else {
            write!(f, "{}/{}", self.addr, self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn prefixes_clear_host_bits_and_reject_long_lengths() {
        let p = Prefix::new(ip("192.0.2.77"), 24).expect("valid");
        assert_eq!(p.addr(), ip("192.0.2.0"));
        assert_eq!(p.to_string(), "192.0.2.0/24");
        assert_eq!(
            Prefix::new(ip("192.0.2.77"), 0),
            Some(Prefix::default_route(Family::V4))
        );
        assert_eq!(
            Prefix::new(ip("192.0.2.77"), 32).map(Prefix::addr),
            Some(ip("192.0.2.77"))
        );
        assert_eq!(Prefix::new(ip("192.0.2.77"), 33), None);
        let p = Prefix::new(ip("2001:db8:1:2::99"), 48).expect("valid");
        assert_eq!(p.to_string(), "2001:db8:1::/48");
        assert_eq!(Prefix::new(ip("2001:db8::1"), 129), None);
        assert_eq!(Prefix::default_route(Family::V6).to_string(), "default");
        assert_eq!(Prefix::host(ip("2001:db8::1")).prefix_len(), 128);
        let p = Prefix::new(ip("10.1.0.0"), 16).expect("valid");
        assert!(p.contains(ip("10.1.255.3")));
        assert!(!p.contains(ip("10.2.0.1")));
        assert!(!p.contains(ip("::1")));
        assert!(Prefix::default_route(Family::V6).contains(ip("2001:db8::1")));
    }

    #[test]
    fn gateways_know_their_family() {
        assert_eq!(Gateway::Via(ip("fe80::1")).family(), Family::V6);
        assert_eq!(Gateway::Direct(Family::V4).family(), Family::V4);
        assert!(!Gateway::Via(ip("0.0.0.0")).is_usable());
        assert!(!Gateway::Via(ip("ff02::1")).is_usable());
        assert!(Gateway::Via(ip("fe80::1")).is_usable());
        assert_eq!(Gateway::Via(ip("192.0.2.1")).to_string(), "via 192.0.2.1");
    }
}
