//! When rounds start and when an unanswered round is given up: the timers
//! of one family. At most one round is in flight per family.

use std::time::{Duration, Instant};

use crate::events::RoundId;

/// How long after `start + timeout` the machine waits for a driver's
/// report before it fails the round itself. A driver reports at `timeout`
/// at the latest; this only covers a driver that is slow to be scheduled,
/// or one that lost the round (then it counts as failed: the WAN is not
/// trusted on a report that never came).
pub const REPORT_SLACK: Duration = Duration::from_millis(200);

/// A timer that runs this much later than it was due means the process was
/// stopped (SIGSTOP, a suspended machine, a paused VM), not that the WAN
/// was slow: the round in flight is dropped as void, neither passed nor
/// failed, and a new one starts at once. Rounds whose slots passed while
/// the process was stopped are simply not run, so they never count as
/// failures.
pub const SUSPEND_GAP: Duration = Duration::from_secs(5);

/// A round that was started and not yet concluded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlight {
    pub id: RoundId,
    pub started: Instant,
    /// `started + timeout + REPORT_SLACK`.
    pub deadline: Instant,
}

/// What the timer of a family asks for at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    /// The round in flight got no report in time: it failed.
    Expired {
        started: Instant,
    },
    /// The round in flight expired so long ago that the process must have
    /// been stopped: forget it.
    Void,
}

#[derive(Debug, Clone)]
pub(crate) struct Rounds {
    /// The id the next round gets.
    next_id: u64,
    /// When the next round should start; `None` while one is in flight or
    /// while rounds are paused (no carrier).
    next_start: Option<Instant>,
    in_flight: Option<InFlight>,
}

impl Rounds {
    /// The first round is due at `now`.
    pub fn new(now: Instant) -> Rounds {
        Rounds {
            next_id: 0,
            next_start: Some(now),
            in_flight: None,
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        match self.in_flight {
            Some(f) => Some(f.deadline),
            None => self.next_start,
        }
    }

    /// Closes the round in flight if its deadline has passed.
    /// The round in flight, if any.
    pub fn in_flight(&self) -> Option<RoundId> {
        self.in_flight.map(|f| f.id)
    }

    pub fn expire(&mut self, now: Instant) -> Due {
        let Some(f) = self.in_flight else {
            return Due::Nothing;
        };
        if now < f.deadline {
            return Due::Nothing;
        }
        self.in_flight = None;
        if now.saturating_duration_since(f.deadline) > SUSPEND_GAP {
            self.next_start = Some(now);
            Due::Void
        } else {
            Due::Expired { started: f.started }
        }
    }

    /// Starts a round if one is due at `now` and none is in flight.
    pub fn start(&mut self, now: Instant, timeout: Duration) -> Option<RoundId> {
        if self.in_flight.is_some() {
            return None;
        }
        let due = self.next_start?;
        if now < due {
            return None;
        }
        let id = RoundId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let deadline = after(after(now, timeout), REPORT_SLACK);
        self.in_flight = Some(InFlight {
            id,
            started: now,
            deadline,
        });
        self.next_start = None;
        Some(id)
    }

    /// Takes the round in flight if `id` names it (a report for it came).
    pub fn take(&mut self, id: RoundId) -> Option<InFlight> {
        let f = self.in_flight.filter(|f| f.id == id)?;
        self.in_flight = None;
        Some(f)
    }

    /// After a round that started at `started` concluded at `now`: the next
    /// starts `interval` after the last one started, but never before the
    /// last one concluded, and never in the past. Missed slots are not
    /// caught up.
    pub fn schedule(&mut self, started: Instant, interval: Duration, now: Instant) {
        self.next_start = Some(after(started, interval).max(now));
    }

    /// No carrier: drop the round in flight (its report will be ignored)
    /// and start none until `resume`.
    pub fn pause(&mut self) {
        self.in_flight = None;
        self.next_start = None;
    }

    /// Carrier back: the next round starts at once.
    pub fn resume(&mut self, now: Instant) {
        if self.in_flight.is_none() {
            self.next_start = Some(now);
        }
    }
}

/// `t + d`, or `t` in the impossible case that it overflows (every
/// duration is at most `MAX_DURATION`, a day).
pub(crate) fn after(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or(t)
}
