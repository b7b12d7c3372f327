//! Address families (AFI/SAFI pairs, RFC 4760). Capabilities and
//! ROUTE-REFRESH carry any pair; prefixes are decoded only for IPv4 and
//! IPv6 unicast, the two families this speaker negotiates.

use std::fmt;

use serde::{Deserialize, Serialize};

/// AFI 1: IPv4.
pub const AFI_IPV4: u16 = 1;
/// AFI 2: IPv6.
pub const AFI_IPV6: u16 = 2;
/// SAFI 1: unicast.
pub const SAFI_UNICAST: u8 = 1;

/// An AFI/SAFI pair as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Family {
    /// Address Family Identifier.
    pub afi: u16,
    /// Subsequent Address Family Identifier.
    pub safi: u8,
}

impl Family {
    /// IPv4 unicast (1/1).
    pub const IPV4_UNICAST: Family = Family {
        afi: AFI_IPV4,
        safi: SAFI_UNICAST,
    };
    /// IPv6 unicast (2/1).
    pub const IPV6_UNICAST: Family = Family {
        afi: AFI_IPV6,
        safi: SAFI_UNICAST,
    };

    pub const fn new(afi: u16, safi: u8) -> Family {
        Family { afi, safi }
    }

    /// Whether prefixes of this family are decoded (IPv4 or IPv6 unicast);
    /// NLRI of other families is kept as opaque bytes.
    pub fn is_supported(&self) -> bool {
        *self == Family::IPV4_UNICAST || *self == Family::IPV6_UNICAST
    }

    /// The address length in bytes for the supported families.
    pub(crate) fn address_len(&self) -> Option<usize> {
        match *self {
            Family::IPV4_UNICAST => Some(4),
            Family::IPV6_UNICAST => Some(16),
            _ => None,
        }
    }

    pub(crate) fn to_bytes(self) -> [u8; 3] {
        let [a, b] = self.afi.to_be_bytes();
        [a, b, self.safi]
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Family::IPV4_UNICAST => f.write_str("ipv4-unicast"),
            Family::IPV6_UNICAST => f.write_str("ipv6-unicast"),
            Family { afi, safi } => write!(f, "afi{afi}-safi{safi}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Family::IPV6_UNICAST.to_string(), "ipv6-unicast");
        assert_eq!(Family::new(25, 65).to_string(), "afi25-safi65");
        assert!(!Family::new(1, 128).is_supported());
        assert_eq!(Family::IPV4_UNICAST.to_bytes(), [0, 1, 1]);
    }
}
