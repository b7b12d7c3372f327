//! Reading attribute values: every fixed-size value must have exactly its
//! size, so a truncated attribute is an error, never a panic or a guess.
//! Multi-byte integers are in host order (`nla_put_u32`) unless the name
//! says `be` (ports in events, addresses).

use std::net::{Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{DecodeError, NlaBuffer};

/// The value of `nla` as exactly `N` bytes.
pub(crate) fn fixed<const N: usize>(
    nla: &NlaBuffer<&[u8]>,
    what: &str,
) -> Result<[u8; N], DecodeError> {
    let value = nla.value();
    <[u8; N]>::try_from(value).map_err(|_| {
        DecodeError::from(format!(
            "attribute {what} has {} bytes, expected {N}",
            value.len()
        ))
    })
}

pub(crate) fn u8_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u8, DecodeError> {
    fixed::<1>(nla, what).map(|[b]| b)
}

pub(crate) fn u16_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u16, DecodeError> {
    fixed(nla, what).map(u16::from_ne_bytes)
}

pub(crate) fn be16_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u16, DecodeError> {
    fixed(nla, what).map(u16::from_be_bytes)
}

pub(crate) fn u32_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u32, DecodeError> {
    fixed(nla, what).map(u32::from_ne_bytes)
}

pub(crate) fn i32_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<i32, DecodeError> {
    fixed(nla, what).map(i32::from_ne_bytes)
}

pub(crate) fn ipv4_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<Ipv4Addr, DecodeError> {
    fixed::<4>(nla, what).map(Ipv4Addr::from)
}

pub(crate) fn ipv6_of(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<Ipv6Addr, DecodeError> {
    fixed::<16>(nla, what).map(Ipv6Addr::from)
}

/// A positive kernel ifindex, `None` for 0 or negative ("no device").
pub(crate) fn ifindex(raw: i32) -> Option<u32> {
    u32::try_from(raw).ok().filter(|i| *i != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_sizes_are_errors() {
        // type 2, length 5: one byte of value.
        let bytes = [5u8, 0, 2, 0, 7, 0, 0, 0];
        let nla = NlaBuffer::new_checked(&bytes[..5]).unwrap();
        assert_eq!(u8_of(&nla, "id").unwrap(), 7);
        assert!(u16_of(&nla, "port").is_err());
        assert!(u32_of(&nla, "flags").is_err());
        assert!(ipv4_of(&nla, "addr4").is_err());
        assert!(ipv6_of(&nla, "addr6").is_err());
    }

    #[test]
    fn ifindex_zero_and_negative_mean_none() {
        assert_eq!(ifindex(0), None);
        assert_eq!(ifindex(-1), None);
        assert_eq!(ifindex(4), Some(4));
    }
}
