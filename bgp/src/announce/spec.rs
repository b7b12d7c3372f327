//! What the operator configured: one `[[bgp.announce]]` entry, with the
//! condition it depends on already reduced to a name the caller chose.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::{Community, Prefix};

/// The name of a condition the caller evaluates (for mpwan: "any WAN up",
/// "all WANs up", or a list of named WANs). This crate only learns whether
/// it holds, never what it means.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConditionId(pub String);

impl From<&str> for ConditionId {
    fn from(s: &str) -> ConditionId {
        ConditionId(s.to_owned())
    }
}

impl From<String> for ConditionId {
    fn from(s: String) -> ConditionId {
        ConditionId(s)
    }
}

impl fmt::Display for ConditionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One announced prefix and what to do when its condition fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnounceSpec {
    /// The prefix announced while the condition holds.
    pub prefix: Prefix,
    /// The condition it depends on.
    pub condition: ConditionId,
    /// What happens to the route while the condition does not hold.
    pub on_down: OnDown,
}

/// What happens to a route while its condition does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnDown {
    /// Withdraw it from every peer.
    Withdraw,
    /// Keep announcing it, de-preferred.
    Degrade(Degrade),
}

/// How a degraded route is de-preferred (`degrade = { med, prepend,
/// communities }`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Degrade {
    /// MULTI_EXIT_DISC to attach; none: no MED.
    pub med: Option<u32>,
    /// Extra copies of the local ASN put in front of the AS path.
    pub prepend: u8,
    /// COMMUNITIES to attach (for example the peer's "lower preference"
    /// community).
    pub communities: Vec<Community>,
}
