//! The next hop of the other family: a route of one family sent over a
//! session of the other (IPv6 prefixes over an IPv4 session, MP_REACH,
//! RFC 4760) needs our address of that family, and "next hop self" means
//! the one on the interface that carries the session, as BIRD and FRR do.

use std::net::IpAddr;

use nix::ifaddrs::getifaddrs;

/// An address of the other family than `local` on the interface holding
/// `local`: for IPv6 a global one (never link-local: the peer may not be
/// on-link; a global unicast address is preferred to a unique local one);
/// for IPv4 the first one. None when the interface has none.
pub fn other_family(local: IpAddr) -> Option<IpAddr> {
    let addrs: Vec<(String, IpAddr)> = getifaddrs()
        .ok()?
        .filter_map(|ifa| {
            let addr = ifa.address?;
            let ip = match (addr.as_sockaddr_in(), addr.as_sockaddr_in6()) {
                (Some(v4), _) => IpAddr::V4(v4.ip()),
                (_, Some(v6)) => IpAddr::V6(v6.ip()),
                _ => return None,
            };
            Some((ifa.interface_name, ip))
        })
        .collect();
    pick(&addrs, local)
}

/// The choice `other_family` makes among `(interface, address)` pairs.
fn pick(addrs: &[(String, IpAddr)], local: IpAddr) -> Option<IpAddr> {
    let (dev, _) = addrs.iter().find(|(_, a)| *a == local)?;
    let same_dev = addrs.iter().filter(|(d, _)| d == dev).map(|(_, a)| *a);
    match local {
        IpAddr::V4(_) => same_dev
            .filter(|a| match a {
                IpAddr::V6(v6) => !is_link_local(v6) && !v6.is_loopback(),
                IpAddr::V4(_) => false,
            })
            .min_by_key(|a| match a {
                IpAddr::V6(v6) => is_unique_local(v6),
                IpAddr::V4(_) => true,
            }),
        IpAddr::V6(_) => same_dev.into_iter().find(IpAddr::is_ipv4),
    }
}

fn is_link_local(a: &std::net::Ipv6Addr) -> bool {
    a.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80)
}

fn is_unique_local(a: &std::net::Ipv6Addr) -> bool {
    a.segments().first().is_some_and(|s| s & 0xfe00 == 0xfc00)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn table() -> Vec<(String, IpAddr)> {
        [
            ("lo", "127.0.0.1"),
            ("lo", "::1"),
            ("eth0", "192.0.2.1"),
            ("eth0", "fe80::1"),
            ("eth0", "fd00::1"),
            ("eth0", "2001:db8::1"),
            ("eth1", "198.51.100.1"),
            ("eth1", "fe80::2"),
            ("eth2", "2001:db8:2::1"),
        ]
        .iter()
        .map(|(d, x)| (d.to_string(), a(x)))
        .collect()
    }

    #[test]
    fn ipv6_next_hop_over_ipv4_is_a_global_address_of_the_same_interface() {
        assert_eq!(pick(&table(), a("192.0.2.1")), Some(a("2001:db8::1")));
    }

    #[test]
    fn a_unique_local_address_serves_when_there_is_no_global_one() {
        let t: Vec<_> = table()
            .into_iter()
            .filter(|(_, x)| *x != a("2001:db8::1"))
            .collect();
        assert_eq!(pick(&t, a("192.0.2.1")), Some(a("fd00::1")));
    }

    #[test]
    fn link_local_only_gives_no_next_hop() {
        assert_eq!(pick(&table(), a("198.51.100.1")), None);
    }

    #[test]
    fn ipv4_next_hop_over_ipv6_comes_from_the_same_interface() {
        assert_eq!(pick(&table(), a("2001:db8::1")), Some(a("192.0.2.1")));
        assert_eq!(pick(&table(), a("2001:db8:2::1")), None);
    }

    #[test]
    fn an_address_on_no_interface_gives_nothing() {
        assert_eq!(pick(&table(), a("203.0.113.9")), None);
    }
}
