//! Drives a `WanHealth` on virtual time: a base `Instant` read once, then
//! only `base + Duration`. Two ways to drive it: `round` answers one round
//! with exact outcomes (for transition tests), and `Sim` runs a network
//! model through time (for timing, random loss and scenario files).

use std::time::{Duration, Instant};

use mpwan_tracker::{
    Action, Event, Family, HealthParams, HealthState, Outcome, RoundId, RoundReport, Scope,
    TargetId, TargetResult, Transition, WanHealth,
};

/// The one clock read of the tests: a base for virtual time.
#[allow(clippy::disallowed_methods)]
pub fn base() -> Instant {
    Instant::now()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A reply after `n` ms.
pub fn ok(n: u64) -> Outcome {
    Outcome::Reply { rtt: ms(n) }
}

pub const LOST: Outcome = Outcome::Timeout;

/// Targets 0..n.
pub fn targets(n: u32) -> Vec<TargetId> {
    (0..n).map(TargetId).collect()
}

/// The transitions among `actions`.
pub fn transitions(actions: &[Action]) -> Vec<Transition> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Transition(t) => Some(*t),
            Action::StartRound { .. } => None,
        })
        .collect()
}

/// (scope, from, to) of each transition, for compact assertions.
pub fn changes(actions: &[Action]) -> Vec<(Scope, HealthState, HealthState)> {
    transitions(actions)
        .iter()
        .map(|t| (t.scope, t.from, t.to))
        .collect()
}

pub const V4: Scope = Scope::Family(Family::V4);
pub const V6: Scope = Scope::Family(Family::V6);
pub const WAN: Scope = Scope::Wan;
pub use HealthState::{Degraded, Down, Init, Up};

pub struct Harness {
    pub wan: WanHealth,
    pub params: HealthParams,
    pub t0: Instant,
    pub now: Instant,
    /// Rounds asked for and not answered yet: (family, id, started).
    pub pending: Vec<(Family, RoundId, Instant)>,
}

impl Harness {
    /// A WAN with `v4` and `v6` targets (0: family not tracked), created at
    /// virtual time zero.
    pub fn new(params: HealthParams, v4: u32, v6: u32) -> Harness {
        let t0 = base();
        let wan = WanHealth::new(params.clone(), &targets(v4), &targets(v6), t0)
            .expect("valid test parameters");
        Harness {
            wan,
            params,
            t0,
            now: t0,
            pending: Vec::new(),
        }
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.t0)
    }

    pub fn at(&self, offset: Duration) -> Instant {
        self.t0 + offset
    }

    /// Feeds `event` at `now` (which may be earlier than the last one) and
    /// keeps track of the rounds it starts.
    pub fn feed_at(&mut self, event: Event, now: Instant) -> Vec<Action> {
        self.now = now;
        let actions = self.wan.handle(event, now);
        for a in &actions {
            if let Action::StartRound { family, round } = a {
                self.pending.retain(|(f, _, _)| f != family);
                self.pending.push((*family, *round, now));
            }
        }
        actions
    }

    pub fn feed(&mut self, event: Event) -> Vec<Action> {
        self.feed_at(event, self.now)
    }

    /// Moves to the next deadline and ticks there.
    pub fn advance(&mut self) -> Vec<Action> {
        let next = self.wan.next_deadline().expect("a deadline");
        let now = next.max(self.now);
        self.feed_at(Event::Tick, now)
    }

    /// Advances by `d` and ticks.
    pub fn sleep(&mut self, d: Duration) -> Vec<Action> {
        let now = self.now + d;
        self.feed_at(Event::Tick, now)
    }

    fn pending_of(&self, family: Family) -> Option<(RoundId, Instant)> {
        self.pending
            .iter()
            .find(|(f, _, _)| *f == family)
            .map(|(_, id, started)| (*id, *started))
    }

    /// Runs one round of `family` the way a real driver would: waits for
    /// the round to start (ticking at each deadline), then reports
    /// `outcomes` (target i gets outcomes[i]) when the slowest reply is in,
    /// or at `timeout` if a probe got no reply. Returns every action of the
    /// round, the start included.
    pub fn round(&mut self, family: Family, outcomes: &[Outcome]) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut guard = 0;
        while self.pending_of(family).is_none() {
            actions.extend(self.advance());
            guard += 1;
            assert!(guard < 100, "no round of {family} started");
        }
        let (id, started) = self.pending_of(family).expect("a pending round");
        let delay = report_delay(outcomes, self.params.timeout);
        actions.extend(self.report_at(family, id, outcomes, started + delay));
        actions
    }

    /// `n` rounds of `family`, each with `outcomes`.
    pub fn rounds(&mut self, n: u32, family: Family, outcomes: &[Outcome]) -> Vec<Action> {
        (0..n).flat_map(|_| self.round(family, outcomes)).collect()
    }

    /// Reports `outcomes` for round `id` at `now`.
    pub fn report_at(
        &mut self,
        family: Family,
        id: RoundId,
        outcomes: &[Outcome],
        now: Instant,
    ) -> Vec<Action> {
        self.pending.retain(|(f, r, _)| !(*f == family && *r == id));
        let report = RoundReport {
            family,
            round: id,
            results: outcomes
                .iter()
                .enumerate()
                .map(|(i, outcome)| TargetResult {
                    target: TargetId(u32::try_from(i).expect("few targets")),
                    outcome: *outcome,
                })
                .collect(),
        };
        self.feed_at(Event::Round(report), now)
    }
}

/// When a driver reports: at the slowest reply, or at `timeout` if a probe
/// got none (or its reply would come later than `timeout`).
pub fn report_delay(outcomes: &[Outcome], timeout: Duration) -> Duration {
    let mut delay = Duration::ZERO;
    for o in outcomes {
        match o {
            Outcome::Reply { rtt } if *rtt <= timeout => delay = delay.max(*rtt),
            Outcome::Reply { .. } | Outcome::Timeout => delay = timeout,
            Outcome::Error(_) => {}
        }
    }
    delay
}

/// A small xorshift64* PRNG: deterministic for a seed, no dependency.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}
