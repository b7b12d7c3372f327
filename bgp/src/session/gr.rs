//! Graceful Restart in both roles.
//!
//! Helper (the peer restarts; RFC 4724 4.2, RFC 8538, RFC 9494), per
//! family of the session that went down:
//!
//! ```text
//!  graceful down, peer listed the family ──> Restart (peer's restart time)
//!      │ peer back with GR + F for it ───────> AwaitEndOfRib (stale_path_time)
//!      │ timer, LLGR agreed for it ──────────> LongLived (min of both stale times)
//!      │ timer, no LLGR ─────────────────────> flush
//!  LongLived: peer back with LLGR + F ───────> AwaitEndOfRib; timer ──> flush
//!  AwaitEndOfRib: End-of-RIB or timer ───────> drop what is still stale
//!  peer back without GR (or F) for it ───────> flush at once (as BIRD, FRR)
//! ```
//!
//! A down is graceful without a NOTIFICATION (TCP closed, hold timer
//! expired, a new connection from a restarted peer) or, when both sides
//! set the N bit, with one other than Hard Reset. A peer that listed the
//! family with restart time 0 goes straight to the long-lived phase when
//! LLGR was agreed (RFC 9494 4.2).
//!
//! Restarting speaker (us): the R bit goes out until End-of-RIB has been
//! sent for every family of an established session; End-of-RIB of a
//! family goes once the announcer says its routes are written
//! (`RoutesReady`) or when the selection deferral ends, whichever is
//! first. The same End-of-RIB follows the initial table in normal
//! operation.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::negotiate::NegotiatedSession;
use super::rib_in::AdjRibIn;
use super::timers::{after, due, earliest};
use crate::wire::Family;

/// Where a family of a peer's stale routes stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelperPhase {
    /// The peer is down; its restart timer runs.
    Restart,
    /// The restart time passed; routes are LLGR-stale.
    LongLived,
    /// The peer is back; its End-of-RIB is awaited.
    AwaitEndOfRib,
}

/// One family whose routes are kept stale.
#[derive(Debug, Clone)]
struct StaleFamily {
    phase: HelperPhase,
    /// When the phase ends.
    deadline: Option<Instant>,
    /// How long the long-lived phase lasts, when LLGR was agreed.
    llgr: Option<Duration>,
    /// The routes went through the long-lived phase, so the returning
    /// peer's LLGR capability (not its GR one) decides whether they stay.
    llgr_entered: bool,
}

/// The helper role: families of the peer's routes kept across its restart.
#[derive(Debug, Default)]
pub(crate) struct Helper {
    families: BTreeMap<Family, StaleFamily>,
}

/// A family's helper state, for status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelperStatus {
    /// The family.
    pub family: Family,
    /// Its phase.
    pub phase: HelperPhase,
    /// Time left in the phase.
    pub remaining: Option<Duration>,
}

impl Helper {
    /// The session `neg` went down, gracefully or not. Keeps (stale) or
    /// flushes each family. Returns whether the RIB changed.
    pub fn session_down(
        &mut self,
        neg: &NegotiatedSession,
        graceful: bool,
        rib: &mut AdjRibIn,
        now: Instant,
    ) -> bool {
        let mut changed = false;
        for &family in &neg.families {
            let restart = neg.peer_restart_time(family);
            let llgr = neg.llgr_time(family);
            let keep = graceful && (restart.is_some() || llgr.is_some());
            if !keep {
                self.families.remove(&family);
                changed |= rib.clear_family(family) > 0;
                continue;
            }
            changed |= rib.mark_stale(family) > 0;
            let state = match restart {
                Some(t) => StaleFamily {
                    phase: HelperPhase::Restart,
                    deadline: after(now, t),
                    llgr,
                    llgr_entered: false,
                },
                None => {
                    changed |= rib.enter_llgr(family);
                    StaleFamily {
                        phase: HelperPhase::LongLived,
                        deadline: llgr.and_then(|t| after(now, t)),
                        llgr,
                        llgr_entered: true,
                    }
                }
            };
            tracing::debug!(%family, phase = ?state.phase, "keeping the peer's routes as stale");
            self.families.insert(family, state);
        }
        changed
    }

    /// The peer is back with `neg`: families it still preserves (GR, or
    /// LLGR after the long-lived phase, with the F bit) wait for its
    /// End-of-RIB; the others are flushed. Returns whether the RIB changed.
    pub fn session_up(
        &mut self,
        neg: &NegotiatedSession,
        stale_path_time: Duration,
        rib: &mut AdjRibIn,
        now: Instant,
    ) -> bool {
        let mut changed = false;
        let mut flushed = Vec::new();
        for (&family, state) in &mut self.families {
            let preserved = if state.llgr_entered {
                neg.peer_llgr_family(family).is_some_and(|f| f.forwarding)
            } else {
                neg.peer_gr_family(family).is_some_and(|f| f.forwarding)
            };
            if preserved {
                state.phase = HelperPhase::AwaitEndOfRib;
                state.deadline = after(now, stale_path_time);
            } else {
                tracing::info!(%family, "peer returned without preserving the family: flushing its stale routes");
                flushed.push(family);
            }
        }
        for family in flushed {
            self.families.remove(&family);
            changed |= rib.remove_stale(family) > 0;
        }
        changed
    }

    /// The peer's End-of-RIB for `family`: what is still stale goes.
    pub fn end_of_rib(&mut self, family: Family, rib: &mut AdjRibIn) -> bool {
        if self.families.remove(&family).is_none() {
            return false;
        }
        rib.remove_stale(family) > 0
    }

    /// Ends the phases whose time has come. Returns whether the RIB changed.
    pub fn tick(&mut self, rib: &mut AdjRibIn, now: Instant) -> bool {
        let mut changed = false;
        let mut done = Vec::new();
        for (&family, state) in &mut self.families {
            if !due(state.deadline, now) {
                continue;
            }
            match (state.phase, state.llgr) {
                (HelperPhase::Restart, Some(t)) => {
                    tracing::info!(%family, "restart time over: routes are now LLGR-stale");
                    changed |= rib.enter_llgr(family);
                    state.phase = HelperPhase::LongLived;
                    state.deadline = after(now, t);
                    state.llgr_entered = true;
                }
                _ => {
                    tracing::info!(%family, phase = ?state.phase, "stale routes expired");
                    done.push(family);
                }
            }
        }
        for family in done {
            self.families.remove(&family);
            changed |= rib.remove_stale(family) > 0;
        }
        changed
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        earliest(self.families.values().map(|s| s.deadline))
    }

    /// Drops every stale route now. Returns whether the RIB changed.
    pub fn flush(&mut self, rib: &mut AdjRibIn) -> bool {
        let mut changed = false;
        for family in std::mem::take(&mut self.families).into_keys() {
            changed |= rib.remove_stale(family) > 0;
        }
        changed
    }

    /// Whether routes of some family are kept stale.
    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }

    /// Forgets every family (the routes are flushed by the caller).
    pub fn clear(&mut self) {
        self.families.clear();
    }

    pub fn status(&self, now: Instant) -> Vec<HelperStatus> {
        self.families
            .iter()
            .map(|(&family, s)| HelperStatus {
                family,
                phase: s.phase,
                remaining: s.deadline.map(|d| d.saturating_duration_since(now)),
            })
            .collect()
    }
}

/// End-of-RIB towards the peer on the established session.
#[derive(Debug, Default)]
pub(crate) struct EndOfRib {
    /// Families whose End-of-RIB has not gone out yet.
    pending: Vec<Family>,
    /// When the pending ones go out anyway.
    deadline: Option<Instant>,
    /// Families whose End-of-RIB went out.
    sent: Vec<Family>,
    /// Families whose End-of-RIB the peer sent.
    received: Vec<Family>,
}

impl EndOfRib {
    /// A session came up with `families`.
    pub fn start(&mut self, families: &[Family], deferral: Duration, now: Instant) {
        self.pending = families.to_vec();
        self.deadline = after(now, deferral);
        self.sent.clear();
        self.received.clear();
    }

    /// The session went down.
    pub fn stop(&mut self) {
        self.pending.clear();
        self.deadline = None;
    }

    /// The announcer's table of `family` is written: whether End-of-RIB
    /// should go now.
    pub fn ready(&mut self, family: Family) -> bool {
        let Some(i) = self.pending.iter().position(|f| *f == family) else {
            return false;
        };
        self.pending.remove(i);
        self.sent.push(family);
        if self.pending.is_empty() {
            self.deadline = None;
        }
        true
    }

    /// The families whose End-of-RIB must go now because the deferral ended.
    pub fn expired(&mut self, now: Instant) -> Vec<Family> {
        if !due(self.deadline, now) {
            return Vec::new();
        }
        self.deadline = None;
        let due = std::mem::take(&mut self.pending);
        self.sent.extend(&due);
        due
    }

    /// Whether every family's End-of-RIB went out on this session.
    pub fn all_sent(&self) -> bool {
        self.pending.is_empty() && !self.sent.is_empty()
    }

    pub fn received(&mut self, family: Family) {
        if !self.received.contains(&family) {
            self.received.push(family);
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    pub fn sent_families(&self) -> &[Family] {
        &self.sent
    }

    pub fn received_families(&self) -> &[Family] {
        &self.received
    }
}
