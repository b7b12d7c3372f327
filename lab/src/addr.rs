//! Every address, prefix, interface name and number of the lab, in one
//! place, so tests and the demo never repeat a literal.
//!
//! ```text
//!         wan1 ─── gw [isp1] inet ─── isp1
//!  [gw] ─┤                                 [inet] targets (on its loopback)
//!        │ wan2 ─── gw [isp2] inet ─── isp2
//!        └ bgp0 ─── gw [peer]
//! ```
//! `[x]` is a namespace, the names beside a link its interface names. On
//! each link the gw side is `.2` and the far side `.1` (`10.1.0.2` on
//! `wan1`, `10.1.0.1` in isp1), except `bgp0` (gw `.1`, peer `.2`) and
//! the isp–inet links (isp `.1`, inet `.2`).
//! IPv6 mirrors IPv4: `10.N.0.x` is `fd00:N::x`, and the targets
//! `203.0.113.x` are `2001:db8:113::x`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// --- gw <-> isp1 (WAN1) -------------------------------------------------

/// gw's address on `wan1`.
pub const WAN1_GW_V4: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 2);
/// isp1's address towards gw: WAN1's gateway.
pub const WAN1_ISP_V4: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);
pub const WAN1_GW_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 2);
pub const WAN1_ISP_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 1);
/// WAN1's prefixes, routed by inet back through isp1.
pub const WAN1_NET_V4: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 0);
pub const WAN1_NET_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 0);

// --- gw <-> isp2 (WAN2) -------------------------------------------------

pub const WAN2_GW_V4: Ipv4Addr = Ipv4Addr::new(10, 2, 0, 2);
pub const WAN2_ISP_V4: Ipv4Addr = Ipv4Addr::new(10, 2, 0, 1);
pub const WAN2_GW_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, 2);
pub const WAN2_ISP_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, 1);
pub const WAN2_NET_V4: Ipv4Addr = Ipv4Addr::new(10, 2, 0, 0);
pub const WAN2_NET_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, 0);

/// Prefix length of every point-to-point link (IPv4).
pub const LINK_V4_LEN: u8 = 24;
/// Prefix length of every point-to-point link (IPv6).
pub const LINK_V6_LEN: u8 = 64;

// --- isp <-> inet --------------------------------------------------------

pub const ISP1_INET_V4: Ipv4Addr = Ipv4Addr::new(10, 101, 0, 1);
pub const INET_ISP1_V4: Ipv4Addr = Ipv4Addr::new(10, 101, 0, 2);
pub const ISP1_INET_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x101, 0, 0, 0, 0, 0, 1);
pub const INET_ISP1_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x101, 0, 0, 0, 0, 0, 2);
pub const ISP2_INET_V4: Ipv4Addr = Ipv4Addr::new(10, 102, 0, 1);
pub const INET_ISP2_V4: Ipv4Addr = Ipv4Addr::new(10, 102, 0, 2);
pub const ISP2_INET_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x102, 0, 0, 0, 0, 0, 1);
pub const INET_ISP2_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x102, 0, 0, 0, 0, 0, 2);

// --- gw <-> peer (BGP) ---------------------------------------------------

/// gw's address on `bgp0`; also the agent's BGP router id.
pub const BGP_GW_V4: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
/// The BGP peer's address.
pub const BGP_PEER_V4: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
pub const BGP_GW_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 1);
pub const BGP_PEER_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 2);
/// The agent's AS (on gw).
pub const GW_ASN: u32 = 65001;
/// The peer's AS.
pub const PEER_ASN: u32 = 65000;

// --- the "internet": targets on inet's loopback --------------------------

/// The prefix every target lives in, routed by both ISPs to inet.
pub const TARGETS_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 0);
pub const TARGETS_V4_LEN: u8 = 24;
pub const TARGETS_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 0);
pub const TARGETS_V6_LEN: u8 = 64;

/// ICMP probe targets.
pub const ICMP_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(203, 0, 113, 1),
    Ipv4Addr::new(203, 0, 113, 2),
    Ipv4Addr::new(203, 0, 113, 3),
];
pub const ICMP_V6: [Ipv6Addr; 3] = [
    Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 2),
    Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 3),
];
/// The DNS server (dnsmasq).
pub const DNS_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 53);
pub const DNS_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 0x53);
pub const DNS_PORT: u16 = 53;
/// The name the DNS server answers, with [`HTTP_V4`] and [`HTTP_V6`].
pub const DNS_NAME: &str = "example.com";
/// The HTTP server (lab/http_server.py).
pub const HTTP_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 80);
pub const HTTP_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 0x80);
pub const HTTP_PORT: u16 = 80;
/// The path whose status the lab controls; every other path is 404.
pub const HTTP_PATH: &str = "/generate_204";
/// Where an MPTCP server started by a test listens.
pub const MPTCP_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 100);
pub const MPTCP_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x113, 0, 0, 0, 0, 0x100);

/// Every target address inet holds on [`TARGETS_DEV`].
pub fn inet_targets() -> Vec<IpAddr> {
    let v4 = ICMP_V4
        .into_iter()
        .chain([DNS_V4, HTTP_V4, MPTCP_V4])
        .map(IpAddr::V4);
    let v6 = ICMP_V6
        .into_iter()
        .chain([DNS_V6, HTTP_V6, MPTCP_V6])
        .map(IpAddr::V6);
    v4.chain(v6).collect()
}

/// The URL of the HTTP probe target over IPv4.
pub fn http_url_v4() -> String {
    format!("http://{HTTP_V4}{HTTP_PATH}")
}

/// The URL of the HTTP probe target over IPv6.
pub fn http_url_v6() -> String {
    format!("http://[{HTTP_V6}]{HTTP_PATH}")
}

// --- interface names -----------------------------------------------------

/// gw's interface towards the BGP peer.
pub const GW_BGP_DEV: &str = "bgp0";
/// The name of the interface towards gw inside isp1, isp2 and peer.
pub const TO_GW_DEV: &str = "gw";
/// The name of the interface towards inet inside isp1 and isp2.
pub const TO_INET_DEV: &str = "inet";
/// inet's interfaces towards isp1 and isp2.
pub const INET_TO_ISP1_DEV: &str = "isp1";
pub const INET_TO_ISP2_DEV: &str = "isp2";
/// The interface holding every target in inet: its loopback, since this
/// kernel has no dummy driver (CONFIG_DUMMY is not set). A packet to any of
/// them arriving from an ISP is delivered locally all the same.
pub const TARGETS_DEV: &str = "lo";

// --- gw's main table, as on OpenWrt --------------------------------------

/// Metric of WAN1's default routes: the backup.
pub const WAN1_METRIC: u32 = 20;
/// Metric of WAN2's default routes: preferred, and the WAN tests take down,
/// so a probe that ignores its WAN is caught.
pub const WAN2_METRIC: u32 = 10;
