//! One WAN: its IPv4 and IPv6 families, and the WAN state combined from
//! them. This is the type a driver owns.

use std::time::Instant;

use crate::actions::{Action, Reason, Scope, Transition};
use crate::error::ParamsError;
use crate::events::{Event, Family, RoundId, TargetId};
use crate::quality::Quality;
use crate::state::HealthState;

use super::family::FamilyHealth;
use super::params::HealthParams;
use super::snapshot::WanSnapshot;

/// The health of one WAN. See the [module documentation](super) for the
/// semantics and for when to call each method.
///
/// The WAN's state combines its tracked families, ignoring a family still
/// in `init` while another has decided: `init` while every family is in
/// `init`; `up` when every decided family is up; `down` when every decided
/// family is down; `degraded` otherwise (one up and one down, or any
/// degraded).
#[derive(Debug, Clone)]
pub struct WanHealth {
    v4: Option<FamilyHealth>,
    v6: Option<FamilyHealth>,
    state: HealthState,
    since: Instant,
    /// The latest `now` seen: an earlier `now` is taken as this one, so
    /// time never runs backwards inside the machine.
    last_now: Instant,
    /// Rounds of the families whose results a pending WAN change waits
    /// for (see `combine`); empty when nothing waits.
    awaiting: Vec<(Family, RoundId)>,
}

impl WanHealth {
    /// A WAN in `init` probing `v4` and `v6` targets (an empty list: that
    /// family is not tracked). Its first rounds are due at `now`.
    pub fn new(
        params: HealthParams,
        v4: &[TargetId],
        v6: &[TargetId],
        now: Instant,
    ) -> Result<WanHealth, ParamsError> {
        params.validate()?;
        if v4.is_empty() && v6.is_empty() {
            return Err(ParamsError::NoTargets);
        }
        let build = |family, targets: &[TargetId]| {
            if targets.is_empty() {
                Ok(None)
            } else {
                FamilyHealth::new(family, &params, targets, now).map(Some)
            }
        };
        Ok(WanHealth {
            v4: build(Family::V4, v4)?,
            v6: build(Family::V6, v6)?,
            state: HealthState::Init,
            since: now,
            last_now: now,
            awaiting: Vec::new(),
        })
    }

    /// Feeds one event at `now` and returns what the driver must do, in
    /// order: first the effect of the event, then of every timer due at
    /// `now` (so any event also runs due timers). Call it for every round
    /// report, every carrier change, and with `Event::Tick` whenever
    /// [`next_deadline`](Self::next_deadline) is reached; an early tick is
    /// harmless. Call `next_deadline` again afterwards: any call may move it.
    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Action> {
        let now = now.max(self.last_now);
        self.last_now = now;
        let mut out = Vec::new();
        let reported = match &event {
            Event::Round(report) => Some(report.family),
            Event::Tick | Event::Carrier(_) => None,
        };
        match &event {
            Event::Tick => {}
            Event::Round(report) => {
                if let Some(f) = self.family_mut(report.family) {
                    f.report(report, now, &mut out);
                }
            }
            Event::Carrier(up) => {
                for f in self.families_mut() {
                    f.carrier(*up, now, &mut out);
                }
            }
        }
        for f in self.families_mut() {
            f.tick(now, &mut out);
        }
        self.combine(reported, now, &mut out);
        out
    }

    /// When `handle(Event::Tick, ..)` must be called next: the earliest
    /// round start or round deadline of any family. `None` when nothing is
    /// scheduled (every family has lost its carrier): wait for an event.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.families()
            .filter_map(FamilyHealth::next_deadline)
            .min()
    }

    /// The WAN's combined state.
    pub fn state(&self) -> HealthState {
        self.state
    }

    /// When the WAN entered its state.
    pub fn since(&self) -> Instant {
        self.since
    }

    /// One family, if it is tracked.
    pub fn family(&self, family: Family) -> Option<&FamilyHealth> {
        match family {
            Family::V4 => self.v4.as_ref(),
            Family::V6 => self.v6.as_ref(),
        }
    }

    /// Latency and loss over the windows of every family.
    pub fn quality(&self) -> Quality {
        let parts: Vec<Quality> = self.families().map(FamilyHealth::quality).collect();
        Quality::combine(&parts)
    }

    /// Everything status shows, at `now` (used only to age the back-off).
    pub fn snapshot(&self, now: Instant) -> WanSnapshot {
        let now = now.max(self.last_now);
        WanSnapshot {
            state: self.state,
            since: self.since,
            quality: self.quality(),
            families: self.families().map(|f| f.snapshot(now)).collect(),
        }
    }

    fn families(&self) -> impl Iterator<Item = &FamilyHealth> {
        self.v4.iter().chain(self.v6.iter())
    }

    fn families_mut(&mut self) -> impl Iterator<Item = &mut FamilyHealth> {
        self.v4.iter_mut().chain(self.v6.iter_mut())
    }

    fn family_mut(&mut self, family: Family) -> Option<&mut FamilyHealth> {
        match family {
            Family::V4 => self.v4.as_mut(),
            Family::V6 => self.v6.as_mut(),
        }
    }

    /// Recomputes the WAN state once per `handle`, after every family has
    /// moved, so one call yields at most one WAN transition.
    ///
    /// The families probe side by side, but their reports come in one at a
    /// time: when a black hole takes both down, IPv4's report may land a
    /// millisecond before IPv6's. Changing the WAN at once would show a
    /// moment of "one family up, one down" (degraded) that the link never
    /// had, and run hooks, MPTCP and BGP through it. So a WAN change waits
    /// for the rounds the other families had in flight when it arose (at
    /// most one round timeout), then is judged on all of them.
    fn combine(&mut self, reported: Option<Family>, now: Instant, out: &mut Vec<Action>) {
        let to = combined(self.families().map(FamilyHealth::state));
        if to == self.state {
            self.awaiting.clear();
            return;
        }
        if self.awaiting.is_empty() {
            // Not the family that just reported: a round it starts now came
            // after the news.
            self.awaiting = self
                .families()
                .filter(|f| Some(f.family()) != reported)
                .filter_map(|f| f.round_in_flight().map(|r| (f.family(), r)))
                .collect();
        } else {
            let awaiting = std::mem::take(&mut self.awaiting);
            self.awaiting = awaiting
                .into_iter()
                .filter(|(family, round)| {
                    self.family(*family).and_then(FamilyHealth::round_in_flight) == Some(*round)
                })
                .collect();
        }
        if !self.awaiting.is_empty() {
            return;
        }
        let reason = Reason::Families {
            v4: self.v4.as_ref().map(FamilyHealth::state),
            v6: self.v6.as_ref().map(FamilyHealth::state),
        };
        out.push(Action::Transition(Transition {
            scope: Scope::Wan,
            from: self.state,
            to,
            since: now,
            reason,
            quality: self.quality(),
        }));
        self.state = to;
        self.since = now;
    }
}

/// The WAN state from its families' states (see [`WanHealth`]).
fn combined(states: impl Iterator<Item = HealthState>) -> HealthState {
    let mut any = false;
    let mut all_up = true;
    let mut all_down = true;
    for s in states.filter(|s| *s != HealthState::Init) {
        any = true;
        all_up &= s == HealthState::Up;
        all_down &= s == HealthState::Down;
    }
    match (any, all_up, all_down) {
        (false, _, _) => HealthState::Init,
        (true, true, _) => HealthState::Up,
        (true, false, true) => HealthState::Down,
        (true, false, false) => HealthState::Degraded,
    }
}
