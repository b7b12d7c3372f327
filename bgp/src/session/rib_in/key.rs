//! Compact map keys: a prefix as 8 bytes (IPv4) or 17 bytes (IPv6)
//! instead of the 18-byte `Prefix`, ordered by address then length, so a
//! full table's B-tree stays small.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::Prefix;

/// A prefix packed for one family's table.
pub(crate) trait RibKey: Ord + Copy {
    /// The key of `prefix`, None if it belongs to the other family.
    fn from_prefix(prefix: &Prefix) -> Option<Self>;
    /// The prefix back (always Some for keys built by `from_prefix`).
    fn prefix(self) -> Option<Prefix>;
}

/// IPv4: address in the high 32 bits of 40, length in the low 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct V4Key(u64);

impl RibKey for V4Key {
    fn from_prefix(prefix: &Prefix) -> Option<V4Key> {
        match prefix.addr() {
            IpAddr::V4(a) => Some(V4Key(
                (u64::from(u32::from(a)) << 8) | u64::from(prefix.prefix_len()),
            )),
            IpAddr::V6(_) => None,
        }
    }

    fn prefix(self) -> Option<Prefix> {
        let addr = u32::try_from(self.0 >> 8).ok()?;
        let len = u8::try_from(self.0 & 0xff).ok()?;
        Prefix::new(IpAddr::V4(Ipv4Addr::from(addr)), len).ok()
    }
}

/// IPv6: 16 address octets then the length; byte order sorts like the
/// address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct V6Key([u8; 17]);

impl RibKey for V6Key {
    fn from_prefix(prefix: &Prefix) -> Option<V6Key> {
        match prefix.addr() {
            IpAddr::V6(a) => {
                let mut k = [0u8; 17];
                k.iter_mut().zip(a.octets()).for_each(|(d, s)| *d = s);
                k[16] = prefix.prefix_len();
                Some(V6Key(k))
            }
            IpAddr::V4(_) => None,
        }
    }

    fn prefix(self) -> Option<Prefix> {
        let mut a = [0u8; 16];
        a.iter_mut().zip(self.0).for_each(|(d, s)| *d = s);
        Prefix::new(IpAddr::V6(Ipv6Addr::from(a)), self.0[16]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("test prefix")
    }

    #[test]
    fn round_trip_and_order() {
        for s in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "255.255.255.255/32",
            "192.0.2.0/24",
        ] {
            let k = V4Key::from_prefix(&p(s)).expect("IPv4");
            assert_eq!(k.prefix(), Some(p(s)));
            assert!(V6Key::from_prefix(&p(s)).is_none());
        }
        for s in ["::/0", "2001:db8::/32", "ffff:ffff::1/128"] {
            let k = V6Key::from_prefix(&p(s)).expect("IPv6");
            assert_eq!(k.prefix(), Some(p(s)));
        }
        let a = V4Key::from_prefix(&p("10.0.0.0/8"));
        let b = V4Key::from_prefix(&p("10.0.0.0/16"));
        let c = V4Key::from_prefix(&p("10.1.0.0/16"));
        assert!(a < b && b < c);
    }
}
