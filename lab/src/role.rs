//! The namespaces of a lab and the two WANs, with the facts each one
//! carries (its interface names, addresses and routes).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::addr;

/// One namespace of the lab, named `mpwan-<run id>-<role>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The gateway: where the agent runs, with `wan1`, `wan2` and `bgp0`.
    Gw,
    /// WAN1's provider.
    Isp1,
    /// WAN2's provider.
    Isp2,
    /// The "internet": probe targets, DNS, HTTP and MPTCP servers.
    Inet,
    /// The BGP peer.
    Peer,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Gw, Role::Isp1, Role::Isp2, Role::Inet, Role::Peer];

    /// The position in [`Role::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The suffix of the namespace's name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Gw => "gw",
            Role::Isp1 => "isp1",
            Role::Isp2 => "isp2",
            Role::Inet => "inet",
            Role::Peer => "peer",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One of gw's two uplinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Wan {
    /// `wan1` through isp1: the backup route (metric 20).
    One,
    /// `wan2` through isp2: the preferred route (metric 10).
    Two,
}

impl Wan {
    pub const ALL: [Wan; 2] = [Wan::One, Wan::Two];

    /// The position in [`Wan::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The WAN's name in the agent's configuration, and gw's device name.
    pub fn name(self) -> &'static str {
        self.device()
    }

    /// gw's interface: `wan1` or `wan2`.
    pub fn device(self) -> &'static str {
        match self {
            Wan::One => "wan1",
            Wan::Two => "wan2",
        }
    }

    /// The namespace of this WAN's provider.
    pub fn isp(self) -> Role {
        match self {
            Wan::One => Role::Isp1,
            Wan::Two => Role::Isp2,
        }
    }

    /// The provider's interface facing gw (inside [`Wan::isp`]).
    pub fn isp_device(self) -> &'static str {
        addr::TO_GW_DEV
    }

    /// inet's interface facing this WAN's provider.
    pub fn inet_device(self) -> &'static str {
        match self {
            Wan::One => addr::INET_TO_ISP1_DEV,
            Wan::Two => addr::INET_TO_ISP2_DEV,
        }
    }

    pub fn gw_v4(self) -> Ipv4Addr {
        match self {
            Wan::One => addr::WAN1_GW_V4,
            Wan::Two => addr::WAN2_GW_V4,
        }
    }

    pub fn gw_v6(self) -> Ipv6Addr {
        match self {
            Wan::One => addr::WAN1_GW_V6,
            Wan::Two => addr::WAN2_GW_V6,
        }
    }

    /// The WAN's IPv4 gateway (the provider's address).
    pub fn isp_v4(self) -> Ipv4Addr {
        match self {
            Wan::One => addr::WAN1_ISP_V4,
            Wan::Two => addr::WAN2_ISP_V4,
        }
    }

    /// The WAN's IPv6 gateway (the provider's address).
    pub fn isp_v6(self) -> Ipv6Addr {
        match self {
            Wan::One => addr::WAN1_ISP_V6,
            Wan::Two => addr::WAN2_ISP_V6,
        }
    }

    /// The WAN link's IPv4 prefix (length [`addr::LINK_V4_LEN`]).
    pub fn net_v4(self) -> Ipv4Addr {
        match self {
            Wan::One => addr::WAN1_NET_V4,
            Wan::Two => addr::WAN2_NET_V4,
        }
    }

    /// The WAN link's IPv6 prefix (length [`addr::LINK_V6_LEN`]).
    pub fn net_v6(self) -> Ipv6Addr {
        match self {
            Wan::One => addr::WAN1_NET_V6,
            Wan::Two => addr::WAN2_NET_V6,
        }
    }

    /// gw's address of the given family on this WAN.
    pub fn gw_addr(self, v6: bool) -> IpAddr {
        if v6 {
            self.gw_v6().into()
        } else {
            self.gw_v4().into()
        }
    }

    /// The provider's address towards inet.
    pub fn isp_inet_v4(self) -> Ipv4Addr {
        match self {
            Wan::One => addr::ISP1_INET_V4,
            Wan::Two => addr::ISP2_INET_V4,
        }
    }

    pub fn isp_inet_v6(self) -> Ipv6Addr {
        match self {
            Wan::One => addr::ISP1_INET_V6,
            Wan::Two => addr::ISP2_INET_V6,
        }
    }

    /// inet's address towards this WAN's provider.
    pub fn inet_v4(self) -> Ipv4Addr {
        match self {
            Wan::One => addr::INET_ISP1_V4,
            Wan::Two => addr::INET_ISP2_V4,
        }
    }

    pub fn inet_v6(self) -> Ipv6Addr {
        match self {
            Wan::One => addr::INET_ISP1_V6,
            Wan::Two => addr::INET_ISP2_V6,
        }
    }

    /// The metric of this WAN's default routes in gw's main table.
    pub fn metric(self) -> u32 {
        match self {
            Wan::One => addr::WAN1_METRIC,
            Wan::Two => addr::WAN2_METRIC,
        }
    }

    /// The WAN's MPTCP endpoint id in the agent configuration.
    pub fn mptcp_id(self) -> u8 {
        match self {
            Wan::One => 1,
            Wan::Two => 2,
        }
    }

    /// The other WAN.
    pub fn other(self) -> Wan {
        match self {
            Wan::One => Wan::Two,
            Wan::Two => Wan::One,
        }
    }
}

impl std::fmt::Display for Wan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_position_in_all() {
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role.index(), i, "{role}");
        }
        for (i, wan) in Wan::ALL.into_iter().enumerate() {
            assert_eq!(wan.index(), i, "{wan}");
        }
    }

    #[test]
    fn each_wan_has_its_own_facts() {
        let [one, two] = Wan::ALL;
        assert_eq!((one.device(), two.device()), ("wan1", "wan2"));
        assert_eq!((one.isp(), two.isp()), (Role::Isp1, Role::Isp2));
        assert_eq!((one.mptcp_id(), two.mptcp_id()), (1, 2));
        assert!(two.metric() < one.metric(), "WAN2 is preferred");
        assert_eq!(one.other(), two);
        for wan in Wan::ALL {
            assert_eq!(wan.gw_v4().octets()[..3], wan.isp_v4().octets()[..3]);
            assert_eq!(wan.gw_v6().segments()[..4], wan.net_v6().segments()[..4]);
        }
    }
}
