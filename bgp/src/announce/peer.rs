//! What one peer session needs to build our routes' attributes: our ASN,
//! whether the peer is internal, our addresses (next hop self) and the
//! families both sides negotiated.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::spec::Degrade;
use crate::session::NegotiatedSession;
use crate::wire::{AsPath, Attributes, Family, MpNextHop, Origin};

/// LOCAL_PREF on routes to internal peers (the common default, as in
/// BIRD, FRR and GoBGP).
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// The per-session facts the Adj-RIB-Out needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerContext {
    /// Our ASN: the AS path to external peers starts with it.
    pub local_asn: u32,
    /// Both ends in one AS: empty AS path and LOCAL_PREF.
    pub ibgp: bool,
    /// IPv4 next hop (next hop self: the session's local IPv4 address);
    /// none: IPv4 routes cannot be sent to this peer.
    pub local_addr_v4: Option<Ipv4Addr>,
    /// IPv6 next hop (next hop self: our global IPv6 address toward the
    /// peer); none: IPv6 routes cannot be sent to this peer.
    pub local_addr_v6: Option<Ipv6Addr>,
    /// The families both OPENs offered; routes of others are not sent.
    pub families: Vec<Family>,
}

impl PeerContext {
    /// The context of an established session, from what it negotiated and
    /// the local addresses the driver knows (the connection's local address
    /// for its own family, and one of the other family if configured).
    pub fn for_session(
        local_asn: u32,
        session: &NegotiatedSession,
        local_addr_v4: Option<Ipv4Addr>,
        local_addr_v6: Option<Ipv6Addr>,
    ) -> PeerContext {
        PeerContext {
            local_asn,
            ibgp: session.ibgp,
            local_addr_v4,
            local_addr_v6,
            families: session.families.clone(),
        }
    }

    /// The next hop for routes of `family`, when this peer can take them
    /// (family negotiated, local address of that family known).
    pub fn next_hop(&self, family: Family) -> Option<MpNextHop> {
        if !self.families.contains(&family) {
            return None;
        }
        match family {
            Family::IPV4_UNICAST => self.local_addr_v4.map(MpNextHop::V4),
            Family::IPV6_UNICAST => self.local_addr_v6.map(|global| MpNextHop::V6 {
                global,
                link_local: None,
            }),
            _ => None,
        }
    }

    /// The attributes of one of our routes: ORIGIN IGP; AS_PATH empty to
    /// internal peers, our ASN to external ones, plus `prepend` copies of
    /// it when degraded (to internal peers too: path length counts there
    /// as well); MED and COMMUNITIES only when degraded; LOCAL_PREF 100 to
    /// internal peers. NEXT_HOP is not set here: the packer writes the
    /// per-family next hop from [`PeerContext::next_hop`].
    pub fn attributes(&self, degrade: Option<&Degrade>) -> Attributes {
        let own = usize::from(!self.ibgp);
        let extra = degrade.map_or(0, |d| usize::from(d.prepend));
        let mut as_path = AsPath::default();
        as_path.prepend(self.local_asn, own.saturating_add(extra));
        Attributes {
            origin: Some(Origin::Igp),
            as_path: Some(as_path),
            med: degrade.and_then(|d| d.med),
            local_pref: self.ibgp.then_some(DEFAULT_LOCAL_PREF),
            communities: degrade.map(|d| d.communities.clone()).unwrap_or_default(),
            ..Attributes::default()
        }
    }
}
