//! The hold-down and its exponential back-off, so a flapping uplink cannot
//! churn MPTCP endpoints or BGP announcements.
//!
//! Rule: the hold-down starts at `hold_down`. When a family goes down less
//! than `stable_period` after it came back from `down` (through a
//! hold-down), it has flapped and its next hold-down doubles, up to
//! `hold_down_max`. Otherwise the hold-down is halved once per whole
//! `stable_period` the family stayed usable, down to `hold_down` (and not
//! doubled). The first failure after start is an outage, not a flap:
//! becoming usable from `init` is not coming back. Time spent down does not
//! count as stable: a WAN that flapped and then died for an hour comes back
//! with the long hold-down it earned, and earns the short one back by
//! staying usable.

use std::time::Duration;

use super::params::HealthParams;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    /// The configured `hold_down`: the floor.
    base: Duration,
    /// The ceiling: `hold_down_max`, or `hold_down` if that is larger.
    cap: Duration,
    /// The flap window and decay period.
    stable: Duration,
    /// The hold-down the next recovery waits, as of the last time the
    /// family went down.
    current: Duration,
}

impl Backoff {
    pub fn new(params: &HealthParams) -> Backoff {
        Backoff {
            base: params.hold_down,
            cap: params.hold_down_max.max(params.hold_down),
            stable: params.stable_period,
            current: params.hold_down,
        }
    }

    /// The hold-down as of the last time the family went down.
    pub fn current(&self) -> Duration {
        self.current
    }

    /// The hold-down after `usable_for` of uninterrupted usability: the
    /// decay, without the doubling of a flap.
    pub fn decayed(&self, usable_for: Duration) -> Duration {
        let periods = usable_for.as_nanos() / self.stable.as_nanos().max(1);
        // Halving a Duration 64 times leaves nothing, so more is pointless.
        let halvings = u32::try_from(periods.min(64)).unwrap_or(64);
        let mut d = self.current;
        for _ in 0..halvings {
            d /= 2;
        }
        d.max(self.base)
    }

    /// The family went down after being usable for `usable_for`;
    /// `came_back` says whether that usable spell began by coming back from
    /// `down` through a hold-down (only then can going down be a flap).
    pub fn went_down(&mut self, usable_for: Duration, came_back: bool) {
        self.current = if came_back && usable_for < self.stable {
            self.current.saturating_mul(2).min(self.cap)
        } else {
            self.decayed(usable_for)
        };
    }
}
