//! Timer values and arithmetic shared by the session: deadlines are
//! `Instant`s handed in by the driver, sums are checked (a deadline that
//! would overflow is "never"), and reconnects back off exponentially.

use std::time::{Duration, Instant};

/// The hold time while OPENs are exchanged (RFC 4271 8: "a large value",
/// 4 minutes suggested).
pub(crate) const OPEN_HOLD_TIME: Duration = Duration::from_secs(240);

/// A session established at least this long resets the reconnect back-off
/// when it goes down; one that drops sooner counts as a failure, so a peer
/// that accepts and then closes at once is not hammered.
pub(crate) const STABLE_SESSION: Duration = Duration::from_secs(60);

/// `now + d`, or None (never) if that overflows the clock.
pub(crate) fn after(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d)
}

/// Whether an armed deadline has come.
pub(crate) fn due(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|d| d <= now)
}

/// The earliest of some optional deadlines.
pub(crate) fn earliest(deadlines: impl IntoIterator<Item = Option<Instant>>) -> Option<Instant> {
    deadlines.into_iter().flatten().min()
}

/// Reconnect delays: `min`, then doubled per failure in a row, up to `max`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    /// The first delay.
    min: Duration,
    /// The ceiling.
    max: Duration,
    /// Failures in a row since the last stable session.
    failures: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            failures: 0,
        }
    }

    /// The delay before the next attempt; counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32.checked_shl(self.failures).unwrap_or(u32::MAX);
        self.failures = self.failures.saturating_add(1);
        self.min
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// A session was stable: the next delay is `min` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The next delay is `max` (the peer refused us for a reason a quick
    /// retry cannot fix, such as the prefix limit).
    pub fn exhaust(&mut self) {
        self.failures = u32::BITS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_max_and_resets() {
        let s = Duration::from_secs;
        let mut b = Backoff::new(s(2), s(120));
        let got: Vec<u64> = (0..9).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(got, [2, 4, 8, 16, 32, 64, 120, 120, 120]);
        for _ in 0..100 {
            assert_eq!(b.next_delay(), s(120), "no overflow after many failures");
        }
        b.reset();
        assert_eq!(b.next_delay(), s(2));
        b.exhaust();
        assert_eq!(b.next_delay(), s(120));
    }
}
