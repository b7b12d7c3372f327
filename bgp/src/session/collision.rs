//! Connection collision resolution (RFC 4271 6.8, RFC 6286 2.3): when both
//! speakers connect at once, the connection initiated by the "dominant"
//! speaker survives. The session applies it by itself (it holds both
//! connections); the function is public so a driver or a test can predict
//! the outcome.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// Which of two connections to the same peer survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeepWhich {
    /// The one we initiated.
    Outbound,
    /// The one the peer initiated.
    Inbound,
}

/// The connection initiated by the speaker with the larger BGP identifier
/// (compared as unsigned 32-bit integers) survives; with equal identifiers
/// (legal between ASes since RFC 6286) the one initiated by the speaker
/// with the larger ASN. Equal identifiers and ASNs cannot reach this point
/// (the OPEN is refused with Bad BGP Identifier); the outbound one is kept.
pub fn resolve_collision(
    local_id: Ipv4Addr,
    local_asn: u32,
    remote_id: Ipv4Addr,
    remote_asn: u32,
) -> KeepWhich {
    let local = (u32::from(local_id), local_asn);
    let remote = (u32::from(remote_id), remote_asn);
    if local >= remote {
        KeepWhich::Outbound
    } else {
        KeepWhich::Inbound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_id_then_larger_asn_wins() {
        let a = Ipv4Addr::new(10, 0, 0, 1);
        let b = Ipv4Addr::new(10, 0, 0, 2);
        assert_eq!(resolve_collision(b, 1, a, 9), KeepWhich::Outbound);
        assert_eq!(resolve_collision(a, 9, b, 1), KeepWhich::Inbound);
        // Compared as integers, not octet by octet of a string.
        let big = Ipv4Addr::new(192, 0, 2, 1);
        let small = Ipv4Addr::new(9, 255, 255, 255);
        assert_eq!(resolve_collision(big, 1, small, 1), KeepWhich::Outbound);
        assert_eq!(resolve_collision(a, 65001, a, 65000), KeepWhich::Outbound);
        assert_eq!(resolve_collision(a, 65000, a, 65001), KeepWhich::Inbound);
    }
}
