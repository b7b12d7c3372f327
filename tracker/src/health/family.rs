//! One address family of one WAN: rounds, streaks, hold-down and quality,
//! turned into `init` / `up` / `degraded` / `down`.
//!
//! ```text
//!            up passed              failure limit breached
//!   init ─────────────────> up <──────────────────────────> degraded
//!    │                      ▲ │    within recovery limits      │ ▲
//!    │ down failed          │ │ down failed / carrier lost     │ │
//!    │                      │ ▼                                │ │
//!    └──────────────────> down <───────────────────────────────┘ │
//!                           │  up passed, then hold-down passing  │
//!                           └─────────────────────────────────────┘
//!                              (to up, or to degraded if the window
//!                               breaches a failure limit)
//! ```

use std::time::{Duration, Instant};

use crate::actions::{Action, Reason, Scope, Transition};
use crate::error::ParamsError;
use crate::events::{Family, Outcome, RoundId, RoundReport, TargetId};
use crate::quality::Quality;
use crate::state::HealthState;

use super::backoff::Backoff;
use super::params::{HealthParams, MAX_TARGETS};
use super::rounds::{Due, Rounds, after};
use super::snapshot::{FamilySnapshot, TargetSnapshot};
use super::window::Window;

/// The health of one address family of a WAN. Built and driven by
/// [`WanHealth`](super::WanHealth); read it through
/// [`WanHealth::family`](super::WanHealth::family).
#[derive(Debug, Clone)]
pub struct FamilyHealth {
    family: Family,
    params: HealthParams,
    /// The targets probed each round, in the order the window stores them.
    targets: Box<[TargetId]>,
    state: HealthState,
    /// When `state` was entered.
    since: Instant,
    /// Passed rounds in a row (saturating).
    passed: u32,
    /// Failed rounds in a row (saturating); non-zero switches to
    /// `failure_interval`.
    failed: u32,
    /// End of the hold-down: set when a down family that was usable before
    /// has `up` passed rounds in a row, cleared by any failed round.
    hold_until: Option<Instant>,
    /// The hold-down `hold_until` was computed with, for the transition.
    hold_applied: Duration,
    backoff: Backoff,
    /// When the family last became usable; `None` while it is not.
    usable_since: Option<Instant>,
    /// Whether the current usable spell began by coming back from `down`
    /// through a hold-down: going down soon after that is a flap.
    came_back: bool,
    /// Whether it was ever usable: the hold-down protects against a WAN
    /// that flaps, so a WAN that has not worked yet since start (booted
    /// with its link down, or plugged in later) is usable after `up`
    /// passed rounds, like a fresh start.
    ever_usable: bool,
    /// Carrier as last reported; rounds pause while it is lost.
    carrier: bool,
    window: Window,
    /// Per target: the RTT of its latest reply, kept when later probes are
    /// lost (status shows it as the "latest RTT").
    last_rtt: Box<[Option<Duration>]>,
    rounds: Rounds,
}

impl FamilyHealth {
    /// A family in `init` whose first round is due at `now`. `params` must
    /// have passed [`HealthParams::validate`].
    pub(crate) fn new(
        family: Family,
        params: &HealthParams,
        targets: &[TargetId],
        now: Instant,
    ) -> Result<FamilyHealth, ParamsError> {
        if targets.is_empty() {
            return Err(ParamsError::NoTargets);
        }
        if targets.len() > MAX_TARGETS {
            return Err(ParamsError::TooManyTargets {
                family,
                count: targets.len(),
                max: MAX_TARGETS,
            });
        }
        for (i, t) in targets.iter().enumerate() {
            if targets.iter().skip(i.saturating_add(1)).any(|u| u == t) {
                return Err(ParamsError::DuplicateTarget { family, target: *t });
            }
        }
        if usize::try_from(params.reliability).unwrap_or(usize::MAX) > targets.len() {
            return Err(ParamsError::ReliabilityAboveTargets {
                family,
                reliability: params.reliability,
                targets: targets.len(),
            });
        }
        Ok(FamilyHealth {
            family,
            params: params.clone(),
            targets: targets.into(),
            state: HealthState::Init,
            since: now,
            passed: 0,
            failed: 0,
            hold_until: None,
            hold_applied: Duration::ZERO,
            backoff: Backoff::new(params),
            usable_since: None,
            came_back: false,
            ever_usable: false,
            carrier: true,
            window: Window::new(params.window),
            last_rtt: vec![None; targets.len()].into(),
            rounds: Rounds::new(now),
        })
    }

    /// Which family this is.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The current state.
    pub fn state(&self) -> HealthState {
        self.state
    }

    /// When the current state was entered.
    pub fn since(&self) -> Instant {
        self.since
    }

    /// Latency and loss over the window now.
    pub fn quality(&self) -> Quality {
        self.window.quality()
    }

    /// When this family next needs `handle`: the end of the round in flight
    /// or the start of the next one; `None` while the carrier is lost.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.rounds.next_deadline()
    }

    /// The round this family is waiting for, if any.
    pub(crate) fn round_in_flight(&self) -> Option<RoundId> {
        self.rounds.in_flight()
    }

    /// Everything status shows about this family at `now`.
    pub fn snapshot(&self, now: Instant) -> FamilySnapshot {
        let hold_down = match self.usable_since {
            Some(u) => self.backoff.decayed(now.saturating_duration_since(u)),
            None => self.backoff.current(),
        };
        let targets = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let q = self.window.target_quality(i);
                TargetSnapshot {
                    target: *t,
                    last_rtt: self.last_rtt.get(i).copied().flatten(),
                    lost: q.lost,
                    sent: q.sent,
                }
            })
            .collect();
        FamilySnapshot {
            family: self.family,
            state: self.state,
            since: self.since,
            quality: self.window.quality(),
            passed: self.passed,
            failed: self.failed,
            carrier: self.carrier,
            hold_down,
            hold_down_until: self.hold_until,
            targets,
        }
    }

    /// Runs the timers due at `now`: fails a round whose report is overdue,
    /// then starts the next round if it is due.
    pub(crate) fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        match self.rounds.expire(now) {
            Due::Expired { started } => {
                let lost = vec![None; self.targets.len()].into();
                self.conclude(lost, started, now, out);
            }
            Due::Void | Due::Nothing => {}
        }
        if self.carrier
            && let Some(round) = self.rounds.start(now, self.params.timeout)
        {
            out.push(Action::StartRound {
                family: self.family,
                round,
            });
        }
    }

    /// A report for a round of this family. Reports for a round that is no
    /// longer in flight are ignored.
    pub(crate) fn report(&mut self, report: &RoundReport, now: Instant, out: &mut Vec<Action>) {
        let Some(round) = self.rounds.take(report.round) else {
            return;
        };
        let timeout = self.params.timeout;
        let answers = self
            .targets
            .iter()
            .map(|t| {
                let first = report.results.iter().find(|r| r.target == *t)?;
                match first.outcome {
                    Outcome::Reply { rtt } if rtt <= timeout => Some(rtt),
                    Outcome::Reply { .. } | Outcome::Timeout | Outcome::Error(_) => None,
                }
            })
            .collect();
        self.conclude(answers, round.started, now, out);
    }

    /// Carrier change. Loss makes the family down at once and pauses
    /// rounds; its return resumes them (the family is still down and must
    /// recover as after any other failure).
    pub(crate) fn carrier(&mut self, up: bool, now: Instant, out: &mut Vec<Action>) {
        if up == self.carrier {
            return;
        }
        self.carrier = up;
        if up {
            self.rounds.resume(now);
            return;
        }
        self.rounds.pause();
        self.passed = 0;
        self.hold_until = None;
        if self.state != HealthState::Down {
            self.go_down(Reason::CarrierLost, now, out);
        }
    }

    /// One round concluded at `now`: `answers` holds, per target, the RTT
    /// of a reply within `timeout` or `None`.
    fn conclude(
        &mut self,
        answers: Box<[Option<Duration>]>,
        started: Instant,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let answered = answers.iter().filter(|a| a.is_some()).count();
        let pass = u32::try_from(answered).unwrap_or(u32::MAX) >= self.params.reliability;
        for (last, answer) in self.last_rtt.iter_mut().zip(answers.iter()) {
            if answer.is_some() {
                *last = *answer;
            }
        }
        if pass && !self.state.is_usable() && self.passed == 0 {
            self.window.clear();
        }
        self.window.push(answers);
        if pass {
            self.passed = self.passed.saturating_add(1);
            self.failed = 0;
        } else {
            self.failed = self.failed.saturating_add(1);
            self.passed = 0;
            self.hold_until = None;
        }

        match self.state {
            HealthState::Init => {
                if pass && self.passed >= self.params.up {
                    self.become_usable(Duration::ZERO, now, out);
                } else if !pass && self.failed >= self.params.down {
                    let rounds = self.failed;
                    self.go_down(Reason::Failed { rounds }, now, out);
                }
            }
            HealthState::Down => {
                if pass && self.passed >= self.params.up {
                    self.recover(now, out);
                }
            }
            HealthState::Up | HealthState::Degraded => {
                if !pass && self.failed >= self.params.down {
                    let rounds = self.failed;
                    self.go_down(Reason::Failed { rounds }, now, out);
                } else {
                    self.judge_quality(pass, now, out);
                }
            }
        }
        let interval = self.interval();
        self.rounds.schedule(started, interval, now);
    }

    /// A down family has `up` passed rounds in a row: usable now if it was
    /// never usable, else once the hold-down (started by the `up`th passed
    /// round) is over.
    fn recover(&mut self, now: Instant, out: &mut Vec<Action>) {
        if !self.ever_usable {
            self.become_usable(Duration::ZERO, now, out);
            return;
        }
        let until = match self.hold_until {
            Some(until) => until,
            None => {
                self.hold_applied = self.backoff.current();
                let until = after(now, self.hold_applied);
                self.hold_until = Some(until);
                until
            }
        };
        if now >= until {
            self.become_usable(self.hold_applied, now, out);
        }
    }

    /// Up, or degraded if the window already breaches a failure limit.
    fn become_usable(&mut self, hold_down: Duration, now: Instant, out: &mut Vec<Action>) {
        let breach = self
            .window
            .above(self.params.failure_latency, self.params.failure_loss);
        let to = if breach.any() {
            HealthState::Degraded
        } else {
            HealthState::Up
        };
        self.usable_since = Some(now);
        self.came_back = self.ever_usable;
        self.ever_usable = true;
        self.hold_until = None;
        let reason = Reason::Passed {
            rounds: self.passed,
            hold_down,
        };
        self.set_state(to, reason, now, out);
    }

    fn go_down(&mut self, reason: Reason, now: Instant, out: &mut Vec<Action>) {
        if let Some(u) = self.usable_since.take() {
            let usable_for = now.saturating_duration_since(u);
            self.backoff.went_down(usable_for, self.came_back);
        }
        self.passed = 0;
        self.hold_until = None;
        self.set_state(HealthState::Down, reason, now, out);
    }

    /// Hysteresis between up and degraded: up leaves at a failure limit,
    /// degraded returns only within both recovery limits. Both are judged
    /// only on a passed round: a failed round is no evidence of recovery,
    /// and it already counts towards `down` (judging it as degraded too
    /// would make a dead link go up -> degraded -> down, running hooks,
    /// MPTCP and BGP through a state the link never really had).
    fn judge_quality(&mut self, pass: bool, now: Instant, out: &mut Vec<Action>) {
        if !pass {
            return;
        }
        match self.state {
            HealthState::Up => {
                let b = self
                    .window
                    .above(self.params.failure_latency, self.params.failure_loss);
                if b.any() {
                    let reason = Reason::QualityBreached {
                        latency: b.latency,
                        loss: b.loss,
                    };
                    self.set_state(HealthState::Degraded, reason, now, out);
                }
            }
            HealthState::Degraded => {
                let b = self
                    .window
                    .above(self.params.recovery_latency, self.params.recovery_loss);
                if !b.any() {
                    self.set_state(HealthState::Up, Reason::QualityRecovered, now, out);
                }
            }
            HealthState::Init | HealthState::Down => {}
        }
    }

    /// `recovery_interval` while down, `failure_interval` while failed
    /// rounds are accumulating, `interval` otherwise.
    fn interval(&self) -> Duration {
        match self.state {
            HealthState::Down => self.params.recovery_interval,
            HealthState::Init | HealthState::Up | HealthState::Degraded if self.failed > 0 => {
                self.params.failure_interval
            }
            HealthState::Init | HealthState::Up | HealthState::Degraded => self.params.interval,
        }
    }

    fn set_state(&mut self, to: HealthState, reason: Reason, now: Instant, out: &mut Vec<Action>) {
        if to == self.state {
            return;
        }
        out.push(Action::Transition(Transition {
            scope: Scope::Family(self.family),
            from: self.state,
            to,
            since: now,
            reason,
            quality: self.window.quality(),
        }));
        self.state = to;
        self.since = now;
    }
}
