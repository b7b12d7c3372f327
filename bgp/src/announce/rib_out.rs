//! The Adj-RIB-Out of one established session: what this peer was last
//! told about each of our prefixes, so that a sync sends only differences
//! and a withdrawal goes out once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::peer::PeerContext;
use super::policy::Policy;
use crate::wire::{Attributes, EncodeError, Family, Negotiated, Prefix, UpdatePacker};

/// The Adj-RIB-Out of one session. Create it on `Action::Established`
/// (it starts empty: the peer knows nothing of ours on a new session) and
/// drop it on `Action::Down`.
#[derive(Debug, Clone)]
pub struct RibOut {
    /// Next hops, AS path rules and families of this session.
    ctx: PeerContext,
    /// Encodes for this session's codec parameters.
    packer: UpdatePacker,
    /// What the peer holds from us: prefix and the attributes last sent
    /// (without NEXT_HOP, which is fixed per family and session). Prefixes
    /// sent together share one allocation of their attributes: 100 000
    /// prefixes with one AS path are one `Attributes`, not 100 000.
    sent: BTreeMap<Prefix, Arc<Attributes>>,
}

/// What one sync appended to the output buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// UPDATE messages appended.
    pub messages: usize,
    /// Prefixes announced (new, or re-announced with new attributes).
    pub announced: usize,
    /// Prefixes withdrawn.
    pub withdrawn: usize,
    /// Prefixes the policy wants but this peer cannot carry: family not
    /// negotiated, or no local address of that family for the next hop.
    pub skipped: usize,
    /// Groups that could not be encoded. Their prefixes keep their previous
    /// Adj-RIB-Out entry, so the next sync tries again.
    pub failed: Vec<EncodeFailure>,
}

/// A group of prefixes whose UPDATE could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeFailure {
    /// The prefixes of the group.
    pub prefixes: Vec<Prefix>,
    /// Why.
    pub error: EncodeError,
}

impl RibOut {
    /// An empty Adj-RIB-Out for a session with codec parameters `wire`
    /// (`NegotiatedSession::wire`).
    pub fn new(ctx: PeerContext, wire: Negotiated) -> RibOut {
        RibOut {
            ctx,
            packer: UpdatePacker::new(wire),
            sent: BTreeMap::new(),
        }
    }

    /// The session context.
    pub fn context(&self) -> &PeerContext {
        &self.ctx
    }

    /// The families to report `Event::RoutesReady` for once the initial
    /// table is written: every negotiated family, whether or not we have
    /// routes of it (the peer waits for End-of-RIB of each).
    pub fn families(&self) -> &[Family] {
        &self.ctx.families
    }

    /// How many prefixes the peer holds from us (`advertised` in status).
    pub fn advertised(&self) -> usize {
        self.sent.len()
    }

    /// The attributes last sent for `prefix`, if the peer holds it.
    pub fn get(&self, prefix: &Prefix) -> Option<&Attributes> {
        self.sent.get(prefix).map(|a| &**a)
    }

    /// Brings the peer in line with `policy`: appends to `out` UPDATE
    /// frames (complete, header included, ready to write to the session's
    /// connection in order) withdrawing what it should no longer carry,
    /// then announcing what is new or whose attributes changed, many
    /// prefixes per message where they share attributes. Appends nothing
    /// when the peer is already in line.
    ///
    /// Call it right after creating the RibOut (the initial table; then
    /// feed `Event::RoutesReady` for each of [`RibOut::families`]) and
    /// after every `Policy::set_condition` that returned changes.
    pub fn sync(&mut self, policy: &Policy, out: &mut Vec<u8>) -> Sent {
        self.sync_forcing(policy, None, out)
    }

    /// Re-sends the whole table of `family` (the answer to a
    /// ROUTE-REFRESH, RFC 2918) and brings the rest of the peer in line
    /// on the way: every prefix of `family` the policy wants is announced
    /// again, whatever the peer was told before. Call it on
    /// `Action::RouteRefresh(family)` (plain RFC 2918: no BoRR/EoRR).
    pub fn refresh(&mut self, family: Family, policy: &Policy, out: &mut Vec<u8>) -> Sent {
        self.sync_forcing(policy, Some(family), out)
    }

    /// `sync`, announcing routes of `force` even when unchanged.
    fn sync_forcing(&mut self, policy: &Policy, force: Option<Family>, out: &mut Vec<u8>) -> Sent {
        let mut report = Sent::default();
        // The attributes of a route depend only on its degrade setting:
        // each setting in use is built once, at the slot its number gives
        // (see `slot`), and routes refer to it by that slot.
        let mut made: Vec<Option<Arc<Attributes>>> = Vec::new();
        // Sorted by prefix, as the policy gives its routes.
        let mut desired: Vec<(Prefix, usize)> = Vec::new();
        for route in policy.routes() {
            if self.ctx.next_hop(route.prefix.family()).is_none() {
                report.skipped = report.skipped.saturating_add(1);
                continue;
            }
            let set = slot(route.degrade_id);
            if made.len() <= set {
                made.resize(set.saturating_add(1), None);
            }
            if let Some(entry @ None) = made.get_mut(set) {
                *entry = Some(Arc::new(self.ctx.attributes(route.degrade)));
            }
            desired.push((route.prefix, set));
        }
        self.withdraw_gone(&desired, out, &mut report);
        self.announce_changed(desired, &made, force, out, &mut report);
        report
    }

    fn withdraw_gone(&mut self, desired: &[(Prefix, usize)], out: &mut Vec<u8>, report: &mut Sent) {
        let gone: Vec<Prefix> = self
            .sent
            .keys()
            .filter(|p| desired.binary_search_by_key(*p, |(d, _)| *d).is_err())
            .copied()
            .collect();
        if gone.is_empty() {
            return;
        }
        let start = out.len();
        match self.packer.withdraw(&gone, out) {
            Ok(n) => {
                report.messages = report.messages.saturating_add(n);
                report.withdrawn = report.withdrawn.saturating_add(gone.len());
                for p in &gone {
                    self.sent.remove(p);
                }
            }
            Err(error) => {
                // Half-written withdrawals would leave the peer and our
                // record out of step: drop them all and retry next sync.
                out.truncate(start);
                report.failed.push(EncodeFailure {
                    prefixes: gone,
                    error,
                });
            }
        }
    }

    /// Announces the routes of `desired` the peer lacks or holds with
    /// other attributes (all of family `force`), `desired` giving each
    /// prefix's attributes as an index into `made`.
    fn announce_changed(
        &mut self,
        desired: Vec<(Prefix, usize)>,
        made: &[Option<Arc<Attributes>>],
        force: Option<Family>,
        out: &mut Vec<u8>,
        report: &mut Sent,
    ) {
        // One group per family and attribute set, in the order first seen
        // so the output is deterministic.
        let mut groups: Vec<(Family, &Arc<Attributes>, Vec<Prefix>)> = Vec::new();
        let mut index: HashMap<(Family, usize), usize> = HashMap::new();
        for (prefix, set) in desired {
            let Some(attrs) = made.get(set).and_then(Option::as_ref) else {
                continue;
            };
            let family = prefix.family();
            if force != Some(family) && self.sent.get(&prefix) == Some(attrs) {
                continue;
            }
            match index.get(&(family, set)).and_then(|&i| groups.get_mut(i)) {
                Some((_, _, list)) => list.push(prefix),
                None => {
                    index.insert((family, set), groups.len());
                    groups.push((family, attrs, vec![prefix]));
                }
            }
        }
        for (family, attrs, prefixes) in groups {
            let Some(next_hop) = self.ctx.next_hop(family) else {
                continue;
            };
            match self.packer.announce(attrs, &next_hop, &prefixes, out) {
                Ok(n) => {
                    report.messages = report.messages.saturating_add(n);
                    report.announced = report.announced.saturating_add(prefixes.len());
                    for p in prefixes {
                        self.sent.insert(p, Arc::clone(attrs));
                    }
                }
                Err(error) => report.failed.push(EncodeFailure { prefixes, error }),
            }
        }
    }
}

/// Where a route's attributes sit in `RibOut::sync_forcing`'s table: 0 for
/// the normal ones, 1 + the policy's number of its degrade setting
/// otherwise (the policy numbers its settings from 0, one each).
fn slot(degrade_id: Option<usize>) -> usize {
    degrade_id.map_or(0, |n| n.saturating_add(1))
}
