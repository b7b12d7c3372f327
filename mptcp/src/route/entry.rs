//! Routes and rules as the kernel holds them, reduced to what the planner
//! compares, and what a dump of them says ([`ActualState`]).

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::family::{Family, Prefix};

/// The main table's number: the `from <addr>` rules that come first send
/// everything but a default route back to it.
pub const MAIN_TABLE: u32 = 254;

/// One route in a table, with the fields mpwan sets on the routes it
/// creates. Routes whose destination, table and metric agree are one route
/// to the kernel (a replace changes it in place).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableRoute {
    /// The table.
    pub table: u32,
    /// Destination (`default` for a default route).
    pub dst: Prefix,
    /// The route's metric (`RTA_PRIORITY`).
    pub metric: u32,
    /// The next hop, where there is one.
    pub gateway: Option<IpAddr>,
    /// The output device's index.
    pub oif: Option<u32>,
    /// Something mpwan never sets (several next hops, a nexthop object, a
    /// type other than unicast, a source prefix): such a route never
    /// equals a wanted one and is replaced or removed.
    pub unusual: bool,
}

impl TableRoute {
    /// The route's family.
    pub fn family(&self) -> Family {
        self.dst.family()
    }

    /// What makes two routes one to the kernel: table, destination and
    /// metric (the IPv4 TOS is always 0 here).
    pub(crate) fn key(&self) -> (u32, Prefix, u32) {
        (self.table, self.dst, self.metric)
    }
}

/// `default via 192.0.2.1 dev #3 table 101 metric 0`, close to `ip route`.
impl fmt::Display for TableRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.dst)?;
        if let Some(gw) = self.gateway {
            write!(f, " via {gw}")?;
        }
        if let Some(oif) = self.oif {
            write!(f, " dev #{oif}")?;
        }
        write!(f, " table {} metric {}", self.table, self.metric)?;
        if self.unusual {
            f.write_str(" (with attributes mpwan does not set)")?;
        }
        Ok(())
    }
}

/// What a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSelector {
    /// Packets from one address (`from 192.0.2.2`, a host prefix).
    From(IpAddr),
    /// Packets bound to leave through a device (`oif eth1`).
    Oif(String),
    /// Any other shape, described: never wanted, so removed.
    Other(String),
}

/// One policy routing rule sending its packets to a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rule {
    /// The rule's family.
    pub family: Family,
    /// Its priority (`pref`): lower is consulted first.
    pub priority: u32,
    /// What it matches.
    pub selector: RuleSelector,
    /// The table it looks up.
    pub table: u32,
    /// `suppress_prefixlength N`: a result with a prefix this short or
    /// shorter is ignored and the next rule is tried.
    pub suppress_prefixlen: Option<u32>,
}

/// `4220: from 192.0.2.2 lookup 101`, as `ip rule` prints it.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.priority)?;
        match &self.selector {
            RuleSelector::From(ip) => write!(f, "from {ip}")?,
            RuleSelector::Oif(dev) => write!(f, "from all oif {dev}")?,
            RuleSelector::Other(what) => write!(f, "{what}")?,
        }
        if self.table == MAIN_TABLE {
            f.write_str(" lookup main")?;
        } else {
            write!(f, " lookup {}", self.table)?;
        }
        if let Some(len) = self.suppress_prefixlen {
            write!(f, " suppress_prefixlength {len}")?;
        }
        Ok(())
    }
}

/// What the kernel holds with mpwan's protocol: every such route, in any
/// table, and every such rule. Entries of other protocols are never here,
/// so nothing else is ever changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualState {
    /// Routes carrying [`PROTOCOL`](super::PROTOCOL).
    pub routes: Vec<TableRoute>,
    /// Rules carrying [`PROTOCOL`](super::PROTOCOL).
    pub rules: Vec<Rule>,
}
