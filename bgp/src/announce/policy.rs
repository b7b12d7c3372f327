//! The announce policy: which configured prefixes are announced, degraded
//! or withdrawn, given which conditions hold. Pure state, no peers: every
//! peer's `RibOut` reads the same policy.

use std::collections::{BTreeMap, HashMap};

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

impl PrefixState {
    /// The state's name as its serde form writes it: "announced",
    /// "degraded" or "withdrawn".
    pub fn as_str(self) -> &'static str {
        match self {
            PrefixState::Announced => "announced",
            PrefixState::Degraded => "degraded",
            PrefixState::Withdrawn => "withdrawn",
        }
    }
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
    /// The policy's number for `degrade` (None when it is None): equal numbers
    /// are equal settings, so a `RibOut` builds each attribute set once
    /// without hashing the setting.
    pub(crate) degrade_id: Option<usize>,
}

/// Why a list of specs is not a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Two specs name the same prefix; a route has one set of attributes.
    #[error("prefix {0} is announced twice")]
    DuplicatePrefix(Prefix),
    /// More distinct degrade settings than the policy can number (2^32).
    #[error("more than 2^32 distinct degrade settings")]
    TooManyDegrades,
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
    /// Each distinct degrade setting once; entries refer to them by index
    /// (a configuration of 100 000 prefixes usually has one or two).
    degrades: Vec<Degrade>,
    /// The last value given for each condition; absent: does not hold.
    conditions: BTreeMap<ConditionId, bool>,
    /// Indexes into `entries` of the specs that use each condition, in
    /// prefix order, so that setting a condition touches only its users:
    /// a caller that gives each of 100 000 prefixes its own condition
    /// sets them all on a WAN change, and a scan of every entry per call
    /// made that quadratic.
    by_condition: BTreeMap<ConditionId, Vec<usize>>,
}

/// One spec as the policy keeps it: small, since there is one per
/// configured prefix.
#[derive(Debug, Clone)]
struct Entry {
    prefix: Prefix,
    /// Index into `Policy::degrades`; None: withdrawn while down.
    degrade: Option<u32>,
    state: PrefixState,
}

impl Entry {
    /// As it starts: no condition holds yet.
    fn new(prefix: Prefix, degrade: Option<u32>) -> Entry {
        Entry {
            prefix,
            degrade,
            state: Entry::state_when(degrade, false),
        }
    }

    /// The state of an entry with `degrade` when its condition `holds`.
    fn state_when(degrade: Option<u32>, holds: bool) -> PrefixState {
        match (holds, degrade) {
            (true, _) => PrefixState::Announced,
            (false, None) => PrefixState::Withdrawn,
            (false, Some(_)) => PrefixState::Degraded,
        }
    }
}

impl Policy {
    /// A policy where no condition holds yet: every prefix starts
    /// withdrawn, or degraded where `on_down` says so. The caller sets
    /// every condition before the first peer is established, so the
    /// initial table already reflects health.
    pub fn new(specs: Vec<AnnounceSpec>) -> Result<Policy, PolicyError> {
        let mut degrades: Vec<Degrade> = Vec::new();
        let mut degrade_index: HashMap<Degrade, u32> = HashMap::new();
        let mut specs: Vec<(Entry, ConditionId)> = specs
            .into_iter()
            .map(|spec| {
                let degrade = match spec.on_down {
                    OnDown::Withdraw => None,
                    OnDown::Degrade(d) => {
                        if d.communities.len() > MAX_DEGRADE_COMMUNITIES {
                            return Err(PolicyError::TooManyCommunities {
                                prefix: spec.prefix,
                                count: d.communities.len(),
                            });
                        }
                        Some(number(&mut degrades, &mut degrade_index, d)?)
                    }
                };
                let entry = Entry::new(spec.prefix, degrade);
                Ok((entry, spec.condition))
            })
            .collect::<Result<_, _>>()?;
        specs.sort_by_key(|(e, _)| e.prefix);
        for pair in specs.windows(2) {
            if let [(a, _), (b, _)] = pair
                && a.prefix == b.prefix
            {
                return Err(PolicyError::DuplicatePrefix(a.prefix));
            }
        }
        let mut by_condition: BTreeMap<ConditionId, Vec<usize>> = BTreeMap::new();
        let mut entries = Vec::with_capacity(specs.len());
        for (i, (entry, condition)) in specs.into_iter().enumerate() {
            by_condition.entry(condition).or_default().push(i);
            entries.push(entry);
        }
        Ok(Policy {
            entries,
            degrades,
            conditions: BTreeMap::new(),
            by_condition,
        })
    }

    /// Records whether condition `id` holds and returns the prefixes whose
    /// state changed (none when it already had that value, or when no spec
    /// uses it). Call on every change the caller sees; then sync each
    /// established peer's `RibOut`.
    pub fn set_condition(&mut self, id: impl Into<ConditionId>, holds: bool) -> Vec<Change> {
        let id = id.into();
        let mut changes = Vec::new();
        let users = self.by_condition.get(&id).map_or(&[][..], Vec::as_slice);
        for &i in users {
            let Some(e) = self.entries.get_mut(i) else {
                continue;
            };
            let to = Entry::state_when(e.degrade, holds);
            if to != e.state {
                changes.push(Change {
                    prefix: e.prefix,
                    from: e.state,
                    to,
                });
                e.state = to;
            }
        }
        match self.conditions.get_mut(&id) {
            Some(v) => *v = holds,
            None => {
                self.conditions.insert(id, holds);
            }
        }
        changes
    }

    /// Whether condition `id` holds (false until it is set).
    pub fn condition(&self, id: &ConditionId) -> bool {
        self.conditions.get(id).copied().unwrap_or(false)
    }

    /// The state of a configured prefix.
    pub fn state(&self, prefix: &Prefix) -> Option<PrefixState> {
        self.entries
            .binary_search_by_key(prefix, |e| e.prefix)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| e.state)
    }

    /// Every configured prefix with its state, sorted by prefix.
    pub fn status(&self) -> Vec<PrefixStatus> {
        self.entries
            .iter()
            .map(|e| PrefixStatus {
                prefix: e.prefix,
                state: e.state,
            })
            .collect()
    }

    /// The routes peers should carry now (announced and degraded), sorted
    /// by prefix.
    pub fn routes(&self) -> impl Iterator<Item = DesiredRoute<'_>> {
        self.entries.iter().filter_map(|e| match e.state {
            PrefixState::Announced => Some(DesiredRoute {
                prefix: e.prefix,
                degrade: None,
                degrade_id: None,
            }),
            PrefixState::Degraded => {
                let setting = e.degrade.and_then(|i| {
                    let i = usize::try_from(i).ok()?;
                    Some((i, self.degrades.get(i)?))
                });
                Some(DesiredRoute {
                    prefix: e.prefix,
                    degrade: setting.map(|(_, d)| d),
                    degrade_id: setting.map(|(i, _)| i),
                })
            }
            PrefixState::Withdrawn => None,
        })
    }
}

/// The number of degrade setting `d` in `degrades`, added there at its
/// first use.
fn number(
    degrades: &mut Vec<Degrade>,
    index: &mut HashMap<Degrade, u32>,
    d: Degrade,
) -> Result<u32, PolicyError> {
    if let Some(&i) = index.get(&d) {
        return Ok(i);
    }
    let i = u32::try_from(degrades.len()).map_err(|_| PolicyError::TooManyDegrades)?;
    index.insert(d.clone(), i);
    degrades.push(d);
    Ok(i)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn spec(i: u32, condition: &str) -> AnnounceSpec {
        let addr = Ipv4Addr::from(0x1400_0000u32 + i * 256);
        AnnounceSpec {
            prefix: Prefix::new(IpAddr::V4(addr), 24).unwrap(),
            condition: ConditionId::from(condition),
            on_down: OnDown::Withdraw,
        }
    }

    #[test]
    fn a_condition_moves_only_the_prefixes_that_use_it() {
        // Specs given out of prefix order: the index must follow the sort.
        let mut pol =
            Policy::new(vec![spec(3, "c"), spec(0, "a"), spec(2, "b"), spec(1, "a")]).unwrap();
        let moved: Vec<Prefix> = pol
            .set_condition("a", true)
            .iter()
            .map(|c| c.prefix)
            .collect();
        assert_eq!(moved, [spec(0, "").prefix, spec(1, "").prefix]);
        assert_eq!(pol.state(&spec(2, "").prefix), Some(PrefixState::Withdrawn));
        assert!(pol.set_condition("a", true).is_empty());
        let moved = pol.set_condition("c", true);
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].prefix, spec(3, "").prefix);
        // A condition no spec uses moves nothing and is still recorded.
        assert!(pol.set_condition("nobody", true).is_empty());
        assert!(pol.condition(&ConditionId::from("nobody")));
        assert_eq!(pol.routes().count(), 3);
        assert_eq!(pol.set_condition("a", false).len(), 2);
        assert!(!pol.condition(&ConditionId::from("a")));
    }

    #[test]
    fn state_names_are_the_serde_names() {
        for state in [
            PrefixState::Announced,
            PrefixState::Degraded,
            PrefixState::Withdrawn,
        ] {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn many_conditions_each_move_their_own_prefix() {
        let n = 20_000;
        let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let mut pol = Policy::new((0..n).map(|i| spec(i, &names[i as usize])).collect()).unwrap();
        let mut moved = 0usize;
        for name in &names {
            let c = pol.set_condition(name.as_str(), true);
            assert_eq!(c.len(), 1);
            moved += c.len();
        }
        assert_eq!(moved, n as usize);
        assert_eq!(pol.routes().count(), n as usize);
    }
}
