//! NEXT_HOP (type 3, RFC 4271 5.1.3). Length other than 4:
//! treat-as-withdraw (RFC 7606 7.3). Whether the address is usable is
//! checked in the UPDATE decoder, and only when the IPv4 NLRI field uses it
//! (RFC 4760 3: otherwise it is ignored).

use std::net::Ipv4Addr;

use crate::wire::error::Problem;

pub(crate) fn decode(value: &[u8]) -> Result<Ipv4Addr, Problem> {
    <[u8; 4]>::try_from(value)
        .map(Ipv4Addr::from)
        .map_err(|_| Problem::Length(super::len16(value)))
}

/// A next hop no host can have (RFC 4271 6.3 "syntactically incorrect").
pub(crate) fn is_usable(addr: Ipv4Addr) -> bool {
    !(addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_check() {
        assert_eq!(decode(&[192, 0, 2, 1]), Ok(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(decode(&[192, 0, 2]), Err(Problem::Length(3)));
        assert!(is_usable(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(!is_usable(Ipv4Addr::UNSPECIFIED));
        assert!(!is_usable(Ipv4Addr::BROADCAST));
        assert!(!is_usable(Ipv4Addr::new(224, 0, 0, 5)));
    }
}
