//! What one WAN's table should hold: the planner's input.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::family::{Gateway, Prefix};

/// One WAN with policy routing (`table = T` in its configuration), as seen
/// now: its device and addresses, and what the main table routes out of
/// that device. [`RouteManager::observe`](super::RouteManager::observe)
/// fills one from the kernel; the agent may as well build it from what its
/// link watcher knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WanRoutes {
    /// The WAN's name; statuses and reports are keyed by it.
    pub key: String,
    /// The WAN's routing table: 1..=252 or above 255 (0, 253, 254 and 255
    /// belong to the kernel). One table per WAN.
    pub table: u32,
    /// The WAN's device; the `oif` rule names it, so the rule outlives the
    /// device and applies again when a device of that name comes back.
    pub device: String,
    /// The device's index, `None` while it does not exist: then the table
    /// holds no route (the kernel removed them with the device).
    pub ifindex: Option<u32>,
    /// The WAN's addresses; each gets a `from <addr>` rule. Pass the ones
    /// its traffic leaves from (global scope), not link-local ones.
    pub addrs: Vec<IpAddr>,
    /// The main table's default routes out of the device, preferred (lowest
    /// metric) first; the first of each family is copied into the table.
    /// Empty for a family: that family's table has no default route, and
    /// the status says why.
    pub gateways: Vec<Gateway>,
    /// The device's on-link prefixes (its connected subnets), copied into
    /// the table so that the gateway is reachable from inside it.
    pub subnets: Vec<Prefix>,
}
