//! The Adj-RIB-In: the routes one peer sent, per family, each with its
//! attributes and its Graceful Restart state.
//!
//! Memory: a full IPv4 table is about a million prefixes, so each route
//! costs a B-tree slot (an 8-byte key for IPv4, 17 for IPv6) and one
//! pointer to an attribute set that it shares with every route announced
//! alike (`intern.rs`). `estimated_bytes` reports the total.
//!
//! Stale routes (RFC 4724, RFC 9494): when a peer that has Graceful
//! Restart goes down, its routes are marked `Stale` and kept; a route the
//! peer announces again becomes `Fresh`; `remove_stale` drops the rest on
//! its End-of-RIB. In the long-lived phase the remaining stale routes
//! become `LlgrStale` and carry the LLGR_STALE community, while those
//! marked NO_LLGR are dropped.

mod intern;
mod key;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::wire::{
    AsSegment, Attributes, Community, Family, LargeCommunity, MpNextHop, Prefix, RawAttribute,
    Update,
};
use intern::Interner;
use key::{RibKey, V4Key, V6Key};

/// The attributes of a route, with its next hop in one place whatever
/// field carried it: the NEXT_HOP attribute for the IPv4 NLRI field (and
/// then `attributes.next_hop` is None), MP_REACH_NLRI otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteAttrs {
    /// The next hop.
    pub next_hop: MpNextHop,
    /// The path attributes, `next_hop` cleared.
    pub attributes: Attributes,
}

/// A route's Graceful Restart state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteState {
    /// Announced in the current session.
    Fresh,
    /// Kept from a session that went down gracefully; not re-announced yet.
    Stale,
    /// Kept in the long-lived phase (RFC 9494): its attributes carry
    /// LLGR_STALE and it should be preferred least.
    LlgrStale,
}

/// One route as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'a> {
    /// The prefix.
    pub prefix: Prefix,
    /// Its attributes, shared with every route announced alike.
    pub attrs: &'a Arc<RouteAttrs>,
    /// Fresh or stale.
    pub state: RouteState,
}

/// One stored route: shared attributes and its state.
#[derive(Debug, Clone)]
struct Entry {
    attrs: Arc<RouteAttrs>,
    state: RouteState,
}

/// The routes received from one peer.
#[derive(Debug, Default)]
pub struct AdjRibIn {
    /// IPv4 unicast.
    v4: BTreeMap<V4Key, Entry>,
    /// IPv6 unicast.
    v6: BTreeMap<V6Key, Entry>,
    /// The distinct attribute sets.
    interner: Interner,
}

/// Calls `$body` with `$t` bound to the table of `$family`, or yields
/// `$none` for a family the RIB does not hold.
macro_rules! with_table {
    ($self:ident, $family:expr, $t:ident => $body:expr, $none:expr) => {
        match $family {
            Family::IPV4_UNICAST => {
                let $t = &mut $self.v4;
                $body
            }
            Family::IPV6_UNICAST => {
                let $t = &mut $self.v6;
                $body
            }
            _ => $none,
        }
    };
}

impl AdjRibIn {
    pub fn new() -> AdjRibIn {
        AdjRibIn::default()
    }

    /// Routes of `family`, stale ones included.
    pub fn len(&self, family: Family) -> usize {
        match family {
            Family::IPV4_UNICAST => self.v4.len(),
            Family::IPV6_UNICAST => self.v6.len(),
            _ => 0,
        }
    }

    /// Routes of every family.
    pub fn total_len(&self) -> usize {
        self.v4.len().saturating_add(self.v6.len())
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Routes of `family` that are stale or LLGR-stale.
    pub fn stale_len(&self, family: Family) -> usize {
        self.routes(family)
            .filter(|r| r.state != RouteState::Fresh)
            .count()
    }

    /// The route for exactly `prefix`.
    pub fn get(&self, prefix: &Prefix) -> Option<Route<'_>> {
        let entry = match prefix.family() {
            Family::IPV4_UNICAST => self.v4.get(&V4Key::from_prefix(prefix)?),
            _ => self.v6.get(&V6Key::from_prefix(prefix)?),
        }?;
        Some(Route {
            prefix: *prefix,
            attrs: &entry.attrs,
            state: entry.state,
        })
    }

    /// Every route of `family`, ordered by address then length.
    pub fn routes(&self, family: Family) -> Box<dyn Iterator<Item = Route<'_>> + '_> {
        match family {
            Family::IPV4_UNICAST => Box::new(view(&self.v4)),
            Family::IPV6_UNICAST => Box::new(view(&self.v6)),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// How many distinct attribute sets are stored.
    pub fn attribute_sets(&self) -> usize {
        self.interner.len()
    }

    /// Takes an UPDATE whose routes must not be used (an AS_PATH loop,
    /// RFC 4271 9.1.2): everything it names is removed, what it withdraws
    /// and what it announces, since the announcement replaces the route
    /// the peer sent before. Returns whether anything changed.
    pub fn reject(&mut self, update: &Update, families: &[Family]) -> bool {
        let mut changed = false;
        for p in update.withdrawals().chain(update.announced()) {
            if families.contains(&p.family()) {
                changed |= self.remove(p);
            }
        }
        changed
    }

    /// Applies an UPDATE: withdrawals first, then announcements (so a
    /// prefix in both is announced). Routes of families not in `families`
    /// (not negotiated) are ignored. Returns whether anything changed.
    pub fn apply(&mut self, update: &Update, families: &[Family]) -> bool {
        let accept = |f: Family| families.contains(&f);
        let mut changed = false;
        for p in update.withdrawals() {
            if accept(p.family()) {
                changed |= self.remove(p);
            }
        }
        if !update.nlri.is_empty() && accept(Family::IPV4_UNICAST) {
            // The codec turns an NLRI without NEXT_HOP into
            // treat-as-withdraw, so it is always there.
            if let Some(nh) = update.attributes.next_hop {
                let mut attributes = update.attributes.clone();
                attributes.next_hop = None;
                let attrs = self.interner.intern(RouteAttrs {
                    next_hop: MpNextHop::V4(nh),
                    attributes,
                });
                for p in &update.nlri {
                    changed |= self.insert(p, &attrs);
                }
            }
        }
        if let Some(mp) = update.mp_reach.as_ref().filter(|m| accept(m.family)) {
            let prefixes = mp.nlri.prefixes();
            if !prefixes.is_empty() {
                let mut attributes = update.attributes.clone();
                attributes.next_hop = None;
                let attrs = self.interner.intern(RouteAttrs {
                    next_hop: mp.next_hop.clone(),
                    attributes,
                });
                for p in prefixes {
                    changed |= self.insert(p, &attrs);
                }
            }
        }
        changed
    }

    /// Stores `prefix` as fresh with the interned `attrs`.
    fn insert(&mut self, prefix: &Prefix, attrs: &Arc<RouteAttrs>) -> bool {
        let entry = Entry {
            attrs: Arc::clone(attrs),
            state: RouteState::Fresh,
        };
        let old = match prefix.family() {
            Family::IPV4_UNICAST => {
                V4Key::from_prefix(prefix).and_then(|k| self.v4.insert(k, entry))
            }
            _ => V6Key::from_prefix(prefix).and_then(|k| self.v6.insert(k, entry)),
        };
        match old {
            None => true,
            Some(old) => {
                let same = Arc::ptr_eq(&old.attrs, attrs) && old.state == RouteState::Fresh;
                self.interner.release(old.attrs);
                !same
            }
        }
    }

    /// Removes the route for `prefix`; whether there was one.
    pub fn remove(&mut self, prefix: &Prefix) -> bool {
        let old = match prefix.family() {
            Family::IPV4_UNICAST => V4Key::from_prefix(prefix).and_then(|k| self.v4.remove(&k)),
            _ => V6Key::from_prefix(prefix).and_then(|k| self.v6.remove(&k)),
        };
        match old {
            Some(e) => {
                self.interner.release(e.attrs);
                true
            }
            None => false,
        }
    }

    /// Marks every route of `family` stale (LLGR-stale ones stay so).
    /// Returns how many routes the family holds.
    pub fn mark_stale(&mut self, family: Family) -> usize {
        with_table!(self, family, t => {
            for e in t.values_mut() {
                if e.state == RouteState::Fresh {
                    e.state = RouteState::Stale;
                }
            }
            t.len()
        }, 0)
    }

    /// The long-lived phase begins for `family` (RFC 9494 4.3): stale
    /// routes marked NO_LLGR go, the others become LLGR-stale and carry
    /// the LLGR_STALE community. Returns whether anything changed.
    pub fn enter_llgr(&mut self, family: Family) -> bool {
        let interner = &mut self.interner;
        let changed = with_table!(self, family, t => to_llgr(t, interner), false);
        self.interner.sweep();
        changed
    }

    /// Drops the routes of `family` still stale (End-of-RIB, or a timer).
    /// Returns how many went.
    pub fn remove_stale(&mut self, family: Family) -> usize {
        let removed = with_table!(self, family, t => {
            let before = t.len();
            retain(t, |e| e.state == RouteState::Fresh);
            before - t.len()
        }, 0);
        self.interner.sweep();
        removed
    }

    /// Drops every route of `family`. Returns how many went.
    pub fn clear_family(&mut self, family: Family) -> usize {
        let removed = with_table!(self, family, t => std::mem::take(t).len(), 0);
        self.interner.sweep();
        removed
    }

    /// Drops every route. Returns whether there was any.
    pub fn clear(&mut self) -> bool {
        let had = !self.is_empty();
        self.v4.clear();
        self.v6.clear();
        self.interner.sweep();
        had
    }

    /// The memory the RIB holds, estimated from the sizes of its parts:
    /// B-tree nodes counted about two-thirds full, each distinct attribute
    /// set with its heap data, and the interning table.
    pub fn estimated_bytes(&self) -> usize {
        let tables = tree_bytes::<V4Key>(self.v4.len()) + tree_bytes::<V6Key>(self.v6.len());
        let attrs: usize = self
            .interner
            .iter()
            .map(|a| ARC_HEADER + size_of::<RouteAttrs>() + heap_bytes(a))
            .sum();
        tables + attrs + self.interner.table_bytes()
    }
}

fn view<K: RibKey>(t: &BTreeMap<K, Entry>) -> impl Iterator<Item = Route<'_>> {
    t.iter().filter_map(|(k, e)| {
        Some(Route {
            prefix: k.prefix()?,
            attrs: &e.attrs,
            state: e.state,
        })
    })
}

/// Keeps the entries `keep` accepts. The table is rebuilt from its sorted
/// entries (which packs the B-tree nodes full); the interner is swept by
/// the caller.
fn retain<K: RibKey>(t: &mut BTreeMap<K, Entry>, keep: impl Fn(&Entry) -> bool) {
    let old = std::mem::take(t);
    *t = old.into_iter().filter(|(_, e)| keep(e)).collect();
}

fn to_llgr<K: RibKey>(t: &mut BTreeMap<K, Entry>, interner: &mut Interner) -> bool {
    let before = t.len();
    retain(t, |e| {
        e.state == RouteState::Fresh || !e.attrs.attributes.has_community(Community::NO_LLGR)
    });
    let mut changed = t.len() != before;
    // Each distinct set is rewritten once, however many routes share it.
    let mut rewritten: HashMap<*const RouteAttrs, Arc<RouteAttrs>> = HashMap::new();
    for e in t.values_mut().filter(|e| e.state == RouteState::Stale) {
        let new = rewritten.entry(Arc::as_ptr(&e.attrs)).or_insert_with(|| {
            let mut a = RouteAttrs::clone(&e.attrs);
            if !a.attributes.has_community(Community::LLGR_STALE) {
                a.attributes.communities.push(Community::LLGR_STALE);
            }
            interner.intern(a)
        });
        e.attrs = Arc::clone(new);
        e.state = RouteState::LlgrStale;
        changed = true;
    }
    changed
}

/// The reference counts in front of an `Arc`'s value.
const ARC_HEADER: usize = 2 * size_of::<usize>();
/// Entries per B-tree node in std (`2 * B - 1` with `B = 6`).
const BTREE_CAPACITY: usize = 11;

/// A B-tree of `n` entries: leaves about two-thirds full (7 of 11), each
/// with its parent link, index and length, plus one internal node per
/// seven leaves with its twelve child links.
fn tree_bytes<K>(n: usize) -> usize {
    let leaf = size_of::<usize>() + 4 + BTREE_CAPACITY * (size_of::<K>() + size_of::<Entry>());
    let leaves = n.div_ceil(7);
    let internal = leaves.div_ceil(7);
    leaves * leaf + internal * (leaf + (BTREE_CAPACITY + 1) * size_of::<usize>())
}

/// The heap memory an attribute set owns beyond its own struct.
fn heap_bytes(a: &RouteAttrs) -> usize {
    let at = &a.attributes;
    let path = at.as_path.as_ref().map_or(0, |p| {
        p.segments.capacity() * size_of::<AsSegment>()
            + p.segments
                .iter()
                .map(|s| s.asns.capacity() * size_of::<u32>())
                .sum::<usize>()
    });
    let next_hop = match &a.next_hop {
        MpNextHop::Other(v) => v.capacity(),
        _ => 0,
    };
    path + next_hop
        + at.communities.capacity() * size_of::<Community>()
        + at.large_communities.capacity() * size_of::<LargeCommunity>()
        + at.other.capacity() * size_of::<RawAttribute>()
        + at.other.iter().map(|r| r.value.capacity()).sum::<usize>()
}
