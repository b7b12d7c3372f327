//! COMMUNITIES (type 8, RFC 1997). Length not a nonzero multiple of 4:
//! treat-as-withdraw (RFC 7606 7.8).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::error::Problem;

/// A standard community, `asn:value` in 16 + 16 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Community(pub u32);

impl Community {
    /// NO_EXPORT (RFC 1997): not beyond the AS or confederation.
    pub const NO_EXPORT: Community = Community(0xffff_ff01);
    /// NO_ADVERTISE (RFC 1997): to no peer.
    pub const NO_ADVERTISE: Community = Community(0xffff_ff02);
    /// NO_EXPORT_SUBCONFED (RFC 1997): not to external peers.
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xffff_ff03);
    /// GRACEFUL_SHUTDOWN (RFC 8326): de-prefer, the session is going down.
    pub const GRACEFUL_SHUTDOWN: Community = Community(0xffff_0000);
    /// LLGR_STALE (RFC 9494), 65535:6: the route is in the long-lived
    /// stale phase.
    pub const LLGR_STALE: Community = Community(0xffff_0006);
    /// NO_LLGR (RFC 9494), 65535:7: never keep this route as LLGR-stale.
    pub const NO_LLGR: Community = Community(0xffff_0007);

    /// The community `asn:value`.
    pub const fn new(asn: u16, value: u16) -> Community {
        Community(((asn as u32) << 16) | value as u32)
    }

    /// The high 16 bits.
    pub fn asn(&self) -> u16 {
        u16::try_from(self.0 >> 16).unwrap_or(u16::MAX)
    }

    /// The low 16 bits.
    pub fn value(&self) -> u16 {
        u16::try_from(self.0 & 0xffff).unwrap_or(u16::MAX)
    }
}

impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.asn(), self.value())
    }
}

pub(crate) fn decode(value: &[u8]) -> Result<Vec<Community>, Problem> {
    if value.is_empty() || !value.len().is_multiple_of(4) {
        return Err(Problem::Length(super::len16(value)));
    }
    Ok(value
        .chunks_exact(4)
        .map(|c| Community(c.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b))))
        .collect())
}

pub(crate) fn encode(list: &[Community], out: &mut Vec<u8>) {
    for c in list {
        out.extend(c.0.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llgr_constants() {
        assert_eq!(Community::LLGR_STALE, Community::new(65535, 6));
        assert_eq!(Community::NO_LLGR.to_string(), "65535:7");
        assert_eq!(Community::new(65001, 100).asn(), 65001);
    }

    #[test]
    fn decode_rules() {
        let list = [Community::new(65001, 1), Community::LLGR_STALE];
        let mut v = Vec::new();
        encode(&list, &mut v);
        assert_eq!(decode(&v), Ok(list.to_vec()));
        assert_eq!(decode(&[]), Err(Problem::Length(0)));
        assert_eq!(decode(&[0; 5]), Err(Problem::Length(5)));
    }
}
