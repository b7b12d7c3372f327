//! The planner: what a set of WANs wants against what the kernel holds with
//! mpwan's protocol, as a list of operations. Pure: no sockets, no clock.
//!
//! For each WAN with a valid table, the wanted state is:
//! - in its table, per family: the on-link prefixes of its device and one
//!   default route, copied from the main table's preferred default route
//!   out of the device. When the main table has none, the table keeps the
//!   one it has if that still fits the device ([`FamilyStatus::Kept`]),
//!   else has none ([`FamilyStatus::NoDefault`]); with the device missing
//!   it has no route at all;
//! - per family, `oif <device> lookup <table>` at [`PRIORITY_OIF`];
//! - per address, `from <addr> lookup main suppress_prefixlength 0` at
//!   [`PRIORITY_FROM_MAIN`], then `from <addr> lookup <table>` at
//!   [`PRIORITY_FROM`].
//!
//! Operations come make-before-break: routes are added (on-link prefixes
//! before the default routes that need them), then rules added, then stale
//! rules removed, then stale routes.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::entry::{ActualState, MAIN_TABLE, Rule, RuleSelector, TableRoute};
use super::family::{Family, Gateway, Prefix, is_link_local};
use super::status::{FamilyStatus, WanProblem, WanStatus};
use super::wan::WanRoutes;
use super::{PRIORITY_FROM, PRIORITY_FROM_MAIN, PRIORITY_OIF};

#[cfg(test)]
mod tests;

/// One change to the kernel's routes or rules. Every route and rule added
/// carries [`PROTOCOL`](super::PROTOCOL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RouteOp {
    /// Add a route (with `NLM_F_REPLACE`, so one that exists is taken over).
    AddRoute {
        /// The route.
        route: TableRoute,
    },
    /// Change a route in place (`NLM_F_REPLACE`): same table, destination
    /// and metric, another next hop or device.
    ReplaceRoute {
        /// What the kernel holds now.
        old: TableRoute,
        /// What it will hold.
        new: TableRoute,
    },
    /// Remove a route; one already gone is fine.
    DelRoute {
        /// The route.
        route: TableRoute,
    },
    /// Add a rule (rules have no replace: the planner adds only missing ones).
    AddRule {
        /// The rule.
        rule: Rule,
    },
    /// Remove a rule; one already gone is fine.
    DelRule {
        /// The rule.
        rule: Rule,
    },
}

/// `add route default via 192.0.2.1 dev #3 table 101 metric 0`.
impl fmt::Display for RouteOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteOp::AddRoute { route } => write!(f, "add route {route}"),
            RouteOp::ReplaceRoute { old, new } => write!(f, "replace route {old} with {new}"),
            RouteOp::DelRoute { route } => write!(f, "delete route {route}"),
            RouteOp::AddRule { rule } => write!(f, "add {} rule {rule}", rule.family),
            RouteOp::DelRule { rule } => write!(f, "delete {} rule {rule}", rule.family),
        }
    }
}

/// The planner's answer: the operations, in order, and each WAN's status
/// if they all succeed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutePlan {
    /// What to change, in the order to change it.
    pub ops: Vec<RouteOp>,
    /// One per WAN of the input, in its order.
    pub wans: Vec<WanStatus>,
}

/// The longest device name the kernel takes (`IFNAMSIZ` - 1).
const IFNAME_MAX: usize = 15;

/// Plans the changes that make the kernel hold what `desired` wants, given
/// `actual` (mpwan's routes and rules only). When two WANs name one table,
/// the first keeps it and the other is skipped with
/// [`WanProblem::TableTaken`]. `plan(&[], actual)` removes everything
/// mpwan made.
pub fn plan(desired: &[WanRoutes], actual: &ActualState) -> RoutePlan {
    let mut wanted = Wanted::default();
    let mut owners: HashMap<u32, &str> = HashMap::new();
    let mut wans = Vec::with_capacity(desired.len());
    for wan in desired {
        let problem = check(wan, &owners);
        let status = match problem {
            Some(problem) => WanStatus {
                key: wan.key.clone(),
                table: wan.table,
                device: wan.device.clone(),
                problem: Some(problem),
                v4: FamilyStatus::Skipped,
                v6: FamilyStatus::Skipped,
            },
            None => {
                owners.insert(wan.table, &wan.key);
                wanted.add_wan(wan, actual)
            }
        };
        wans.push(status);
    }
    RoutePlan {
        ops: diff(&wanted, actual),
        wans,
    }
}

/// Why `wan` cannot have policy routing, if it cannot.
fn check(wan: &WanRoutes, owners: &HashMap<u32, &str>) -> Option<WanProblem> {
    if matches!(wan.table, 0 | 253..=255) {
        return Some(WanProblem::ReservedTable);
    }
    if let Some(by) = owners.get(&wan.table) {
        return Some(WanProblem::TableTaken {
            by: (*by).to_owned(),
        });
    }
    device_problem(&wan.device).map(|reason| WanProblem::BadDevice {
        reason: reason.to_owned(),
    })
}

/// What the kernel would refuse in a device name (`dev_valid_name`).
fn device_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty")
    } else if name.len() > IFNAME_MAX {
        Some("longer than 15 bytes")
    } else if name == "." || name == ".." {
        Some("'.' and '..' are not device names")
    } else if name
        .chars()
        .any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace())
    {
        Some("contains '/', ':', a space or a NUL")
    } else {
        None
    }
}

/// The default route of `family` the WAN's table already holds, to keep
/// while the main table has none out of the device. Only one that still
/// fits: out of the device as it is now, and through a gateway that is
/// link-local or inside one of the device's prefixes (after a renumbering
/// an old gateway would be unreachable).
fn kept_default<'a>(
    wan: &WanRoutes,
    ifindex: u32,
    family: Family,
    actual: &'a ActualState,
) -> Option<&'a TableRoute> {
    actual.routes.iter().find(|r| {
        r.table == wan.table
            && r.dst == Prefix::default_route(family)
            && r.metric == family.default_metric()
            && r.oif == Some(ifindex)
            && !r.unusual
            && r.gateway.is_none_or(|gw| {
                Gateway::Via(gw).is_usable()
                    && (is_link_local(gw) || wan.subnets.iter().any(|s| s.contains(gw)))
            })
    })
}

/// Whether a `from` rule for `addr` makes sense: a unicast address of
/// this host.
fn usable_source(addr: IpAddr) -> bool {
    !addr.is_unspecified() && !addr.is_multicast() && !addr.is_loopback()
}

/// Everything the WANs want, without duplicates, in the order wanted.
#[derive(Debug, Default)]
struct Wanted {
    routes: Vec<TableRoute>,
    rules: Vec<Rule>,
}

impl Wanted {
    /// Adds what `wan` (already checked) wants, and returns its status.
    fn add_wan(&mut self, wan: &WanRoutes, actual: &ActualState) -> WanStatus {
        let mut status = WanStatus {
            key: wan.key.clone(),
            table: wan.table,
            device: wan.device.clone(),
            problem: None,
            v4: FamilyStatus::NoDevice,
            v6: FamilyStatus::NoDevice,
        };
        if let Some(ifindex) = wan.ifindex {
            for subnet in wan.subnets.iter().filter(|s| !s.is_default()) {
                self.route(wan.table, *subnet, None, ifindex);
            }
            for family in Family::ALL {
                let gateway = wan
                    .gateways
                    .iter()
                    .find(|g| g.family() == family && g.is_usable());
                *status.family_mut(family) = match gateway {
                    Some(g) => {
                        self.route(wan.table, Prefix::default_route(family), g.via(), ifindex);
                        FamilyStatus::Routed { gateway: *g }
                    }
                    None => match kept_default(wan, ifindex, family, actual) {
                        Some(kept) => {
                            let gateway = match kept.gateway {
                                Some(ip) => Gateway::Via(ip),
                                None => Gateway::Direct(family),
                            };
                            self.route(wan.table, kept.dst, kept.gateway, ifindex);
                            FamilyStatus::Kept { gateway }
                        }
                        None => FamilyStatus::NoDefault,
                    },
                };
            }
        }
        for family in Family::ALL {
            self.rule(Rule {
                family,
                priority: PRIORITY_OIF,
                selector: RuleSelector::Oif(wan.device.clone()),
                table: wan.table,
                suppress_prefixlen: None,
            });
        }
        for addr in wan.addrs.iter().copied().filter(|a| usable_source(*a)) {
            let family = Family::of(addr);
            // Everything the main table routes more precisely than by a
            // default route (the LAN, the WAN's own subnet) stays there: a
            // reply from the WAN's address to a LAN host must not leave
            // through the WAN.
            self.rule(Rule {
                family,
                priority: PRIORITY_FROM_MAIN,
                selector: RuleSelector::From(addr),
                table: MAIN_TABLE,
                suppress_prefixlen: Some(0),
            });
            self.rule(Rule {
                family,
                priority: PRIORITY_FROM,
                selector: RuleSelector::From(addr),
                table: wan.table,
                suppress_prefixlen: None,
            });
        }
        status
    }

    /// Wants a route, unless one with its key is already wanted.
    fn route(&mut self, table: u32, dst: Prefix, gateway: Option<IpAddr>, oif: u32) {
        let route = TableRoute {
            table,
            dst,
            metric: dst.family().default_metric(),
            gateway,
            oif: Some(oif),
            unusual: false,
        };
        if !self.routes.iter().any(|r| r.key() == route.key()) {
            self.routes.push(route);
        }
    }

    /// Wants a rule, unless it is already wanted.
    fn rule(&mut self, rule: Rule) {
        if !self.rules.contains(&rule) {
            self.rules.push(rule);
        }
    }
}

/// The operations that turn `actual` into `wanted`, make-before-break.
fn diff(wanted: &Wanted, actual: &ActualState) -> Vec<RouteOp> {
    let mut route_used = vec![false; actual.routes.len()];
    let mut prefix_adds = Vec::new();
    let mut default_adds = Vec::new();
    for want in &wanted.routes {
        let unused = |i: &usize| !route_used[*i];
        let same = (0..actual.routes.len())
            .filter(unused)
            .find(|&i| actual.routes[i] == *want);
        if let Some(i) = same {
            route_used[i] = true;
            continue;
        }
        let same_key = (0..actual.routes.len())
            .filter(unused)
            .find(|&i| actual.routes[i].key() == want.key());
        let op = match same_key {
            Some(i) => {
                route_used[i] = true;
                RouteOp::ReplaceRoute {
                    old: actual.routes[i].clone(),
                    new: want.clone(),
                }
            }
            None => RouteOp::AddRoute {
                route: want.clone(),
            },
        };
        if want.dst.is_default() {
            default_adds.push(op);
        } else {
            prefix_adds.push(op);
        }
    }

    let mut rule_used = vec![false; actual.rules.len()];
    let mut rule_adds = Vec::new();
    for want in &wanted.rules {
        let same = (0..actual.rules.len()).find(|&i| !rule_used[i] && actual.rules[i] == *want);
        match same {
            Some(i) => rule_used[i] = true,
            None => rule_adds.push(RouteOp::AddRule { rule: want.clone() }),
        }
    }

    let rule_dels = actual
        .rules
        .iter()
        .zip(&rule_used)
        .filter(|(_, used)| !**used)
        .map(|(rule, _)| RouteOp::DelRule { rule: rule.clone() });
    let stale_routes = || {
        actual
            .routes
            .iter()
            .zip(&route_used)
            .filter(|(_, used)| !**used)
    };
    let default_dels = stale_routes()
        .filter(|(r, _)| r.dst.is_default())
        .map(|(route, _)| RouteOp::DelRoute {
            route: route.clone(),
        });
    let prefix_dels = stale_routes()
        .filter(|(r, _)| !r.dst.is_default())
        .map(|(route, _)| RouteOp::DelRoute {
            route: route.clone(),
        });

    let mut ops = prefix_adds;
    ops.extend(default_adds);
    ops.extend(rule_adds);
    ops.extend(rule_dels);
    ops.extend(default_dels);
    ops.extend(prefix_dels);
    ops
}
