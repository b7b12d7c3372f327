//! The announce policy: which configured prefixes are announced, degraded
//! or withdrawn, given which conditions hold. Pure state, no peers: every
//! peer's `RibOut` reads the same policy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::spec::{AnnounceSpec, ConditionId, Degrade, OnDown};
use crate::wire::Prefix;

/// The most communities a `degrade` may attach. With 255 prepends and
/// 2-octet peers (AS_PATH plus AS4_PATH), this keeps the shared attributes
/// of one UPDATE well under the 4096-octet message limit, so a degraded
/// route can always be encoded.
pub const MAX_DEGRADE_COMMUNITIES: usize = 255;

/// Where a configured prefix stands, for status and for the peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrefixState {
    /// Its condition holds: announced with the normal attributes.
    Announced,
    /// Its condition fails and it is kept, de-preferred.
    Degraded,
    /// Its condition fails and it is withdrawn (or it never held).
    Withdrawn,
}

/// One prefix whose state a condition change moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The prefix.
    pub prefix: Prefix,
    /// The state before.
    pub from: PrefixState,
    /// The state after.
    pub to: PrefixState,
}

/// One configured prefix and its state, for `bgp.announced[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixStatus {
    /// The prefix.
    pub prefix: Prefix,
    /// Announced, degraded or withdrawn.
    pub state: PrefixState,
}

/// A route the policy wants every peer to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DesiredRoute<'p> {
    /// The prefix.
    pub prefix: Prefix,
    /// How it is de-preferred; none: normal attributes.
    pub degrade: Option<&'p Degrade>,
}

/// Why a list of specs is not a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Two specs name the same prefix; a route has one set of attributes.
    #[error("prefix {0} is announced twice")]
    DuplicatePrefix(Prefix),
    /// A degrade attaches more communities than one UPDATE can carry safely.
    #[error("prefix {prefix}: {count} degrade communities exceed {MAX_DEGRADE_COMMUNITIES}")]
    TooManyCommunities {
        /// The prefix whose spec is at fault.
        prefix: Prefix,
        /// How many communities it lists.
        count: usize,
    },
}

/// The announce policy (a sans-IO core: inputs are condition changes,
/// outputs the prefixes whose state moved).
#[derive(Debug, Clone)]
pub struct Policy {
    /// Specs sorted by prefix, with their current state.
    entries: Vec<Entry>,
    /// The last value given for each condition; absent: does not hold.
    conditions: BTreeMap<ConditionId, bool>,
}

#[derive(Debug, Clone)]
struct Entry {
    spec: AnnounceSpec,
    state: PrefixState,
}

impl Policy {
    /// A policy where no condition holds yet: every prefix starts
    /// withdrawn, or degraded where `on_down` says so. The caller sets
    /// every condition before the first peer is established, so the
    /// initial table already reflects health.
    pub fn new(specs: Vec<AnnounceSpec>) -> Result<Policy, PolicyError> {
        let mut entries: Vec<Entry> = specs
            .into_iter()
            .map(|spec| Entry {
                state: state_of(&spec.on_down, false),
                spec,
            })
            .collect();
        entries.sort_by_key(|e| e.spec.prefix);
        for pair in entries.windows(2) {
            if let [a, b] = pair
                && a.spec.prefix == b.spec.prefix
            {
                return Err(PolicyError::DuplicatePrefix(a.spec.prefix));
            }
        }
        for e in &entries {
            if let OnDown::Degrade(d) = &e.spec.on_down
                && d.communities.len() > MAX_DEGRADE_COMMUNITIES
            {
                return Err(PolicyError::TooManyCommunities {
                    prefix: e.spec.prefix,
                    count: d.communities.len(),
                });
            }
        }
        Ok(Policy {
            entries,
            conditions: BTreeMap::new(),
        })
    }

    /// Records whether condition `id` holds and returns the prefixes whose
    /// state changed (none when it already had that value, or when no spec
    /// uses it). Call on every change the caller sees; then sync each
    /// established peer's `RibOut`.
    pub fn set_condition(&mut self, id: impl Into<ConditionId>, holds: bool) -> Vec<Change> {
        let id = id.into();
        let mut changes = Vec::new();
        for e in self.entries.iter_mut().filter(|e| e.spec.condition == id) {
            let to = state_of(&e.spec.on_down, holds);
            if to != e.state {
                changes.push(Change {
                    prefix: e.spec.prefix,
                    from: e.state,
                    to,
                });
                e.state = to;
            }
        }
        self.conditions.insert(id, holds);
        changes
    }

    /// Whether condition `id` holds (false until it is set).
    pub fn condition(&self, id: &ConditionId) -> bool {
        self.conditions.get(id).copied().unwrap_or(false)
    }

    /// The state of a configured prefix.
    pub fn state(&self, prefix: &Prefix) -> Option<PrefixState> {
        self.entries
            .binary_search_by_key(prefix, |e| e.spec.prefix)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| e.state)
    }

    /// Every configured prefix with its state, sorted by prefix.
    pub fn status(&self) -> Vec<PrefixStatus> {
        self.entries
            .iter()
            .map(|e| PrefixStatus {
                prefix: e.spec.prefix,
                state: e.state,
            })
            .collect()
    }

    /// The routes peers should carry now (announced and degraded), sorted
    /// by prefix.
    pub fn routes(&self) -> impl Iterator<Item = DesiredRoute<'_>> {
        self.entries
            .iter()
            .filter_map(|e| match (e.state, &e.spec.on_down) {
                (PrefixState::Announced, _) => Some(DesiredRoute {
                    prefix: e.spec.prefix,
                    degrade: None,
                }),
                (PrefixState::Degraded, OnDown::Degrade(d)) => Some(DesiredRoute {
                    prefix: e.spec.prefix,
                    degrade: Some(d),
                }),
                _ => None,
            })
    }
}

fn state_of(on_down: &OnDown, holds: bool) -> PrefixState {
    match (holds, on_down) {
        (true, _) => PrefixState::Announced,
        (false, OnDown::Withdraw) => PrefixState::Withdrawn,
        (false, OnDown::Degrade(_)) => PrefixState::Degraded,
    }
}
