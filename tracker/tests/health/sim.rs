//! A simulated network in front of a `WanHealth`: every target behaves as
//! its `Link` says at the moment a round starts, and the simulated driver
//! reports each round the way a real one would (at the slowest reply, or
//! at `timeout` if a probe was lost). Time jumps from event to event.

use std::time::{Duration, Instant};

use mpwan_tracker::{
    Action, ErrorKind, Event, Family, HealthParams, Outcome, RoundReport, TargetId, TargetResult,
};

use crate::harness::{Harness, XorShift, report_delay};

/// How one target behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Answers after this RTT.
    Reply(Duration),
    /// Never answers.
    Lost,
    /// Fails at once (unreachable).
    Error,
    /// Answers after `rtt`, but loses `percent` % of probes at random.
    Lossy { rtt: Duration, percent: u64 },
}

pub struct Sim {
    pub h: Harness,
    v4: Vec<Link>,
    v6: Vec<Link>,
    rng: XorShift,
    /// Reports the driver will deliver: (when, report).
    queued: Vec<(Instant, RoundReport)>,
    /// Every action with the virtual time it came at.
    pub log: Vec<(Duration, Action)>,
}

impl Sim {
    pub fn new(params: HealthParams, v4: Vec<Link>, v6: Vec<Link>, seed: u64) -> Sim {
        let n4 = u32::try_from(v4.len()).expect("few targets");
        let n6 = u32::try_from(v6.len()).expect("few targets");
        Sim {
            h: Harness::new(params, n4, n6),
            v4,
            v6,
            rng: XorShift::new(seed),
            queued: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Changes how the targets of `family` behave, from now on.
    pub fn set(&mut self, family: Family, links: Vec<Link>) {
        match family {
            Family::V4 => self.v4 = links,
            Family::V6 => self.v6 = links,
        }
    }

    /// Every target of `family` behaves as `link`.
    pub fn set_all(&mut self, family: Family, link: Link) {
        let n = match family {
            Family::V4 => self.v4.len(),
            Family::V6 => self.v6.len(),
        };
        self.set(family, vec![link; n]);
    }

    pub fn carrier(&mut self, up: bool) {
        let actions = self.h.feed(Event::Carrier(up));
        self.absorb(actions);
    }

    /// Runs until virtual time `until` (since the start).
    pub fn run_until(&mut self, until: Duration) {
        let end = self.h.at(until);
        loop {
            let report_due = self.queued.iter().map(|(t, _)| *t).min();
            let next = match (self.h.wan.next_deadline(), report_due) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => break,
                },
            };
            if next > end {
                break;
            }
            let now = next.max(self.h.now);
            let ready = self.queued.iter().position(|(t, _)| *t <= now);
            let actions = match ready {
                Some(i) => {
                    let (_, report) = self.queued.remove(i);
                    self.h.feed_at(Event::Round(report), now)
                }
                None => self.h.feed_at(Event::Tick, now),
            };
            self.absorb(actions);
        }
        self.h.now = self.h.now.max(end);
    }

    /// Logs `actions` and answers every round they start.
    fn absorb(&mut self, actions: Vec<Action>) {
        let offset = self.h.elapsed();
        for a in actions {
            if let Action::StartRound { family, round } = a {
                let links = match family {
                    Family::V4 => self.v4.clone(),
                    Family::V6 => self.v6.clone(),
                };
                let outcomes: Vec<Outcome> = links.iter().map(|l| self.outcome(*l)).collect();
                let delay = report_delay(&outcomes, self.h.params.timeout);
                let results = outcomes
                    .iter()
                    .enumerate()
                    .map(|(i, o)| TargetResult {
                        target: TargetId(u32::try_from(i).expect("few targets")),
                        outcome: *o,
                    })
                    .collect();
                let report = RoundReport {
                    family,
                    round,
                    results,
                };
                self.queued.push((self.h.now + delay, report));
            }
            self.log.push((offset, a));
        }
    }

    fn outcome(&mut self, link: Link) -> Outcome {
        match link {
            Link::Reply(rtt) => Outcome::Reply { rtt },
            Link::Lost => Outcome::Timeout,
            Link::Error => Outcome::Error(ErrorKind::Unreachable),
            Link::Lossy { rtt, percent } => {
                if self.rng.chance(percent) {
                    Outcome::Timeout
                } else {
                    Outcome::Reply { rtt }
                }
            }
        }
    }

    /// The transitions logged so far, with their virtual times.
    pub fn transitions(&self) -> Vec<(Duration, mpwan_tracker::Transition)> {
        self.log
            .iter()
            .filter_map(|(at, a)| match a {
                Action::Transition(t) => Some((*at, *t)),
                Action::StartRound { .. } => None,
            })
            .collect()
    }

    /// Rounds started so far for `family`, with their virtual start times.
    pub fn starts(&self, family: Family) -> Vec<Duration> {
        self.log
            .iter()
            .filter_map(|(at, a)| match a {
                Action::StartRound { family: f, .. } if *f == family => Some(*at),
                _ => None,
            })
            .collect()
    }
}
