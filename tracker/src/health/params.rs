//! The knobs of the health machine, with the defaults of DESIGN.md.

use std::time::Duration;

use crate::error::ParamsError;

/// The longest duration any parameter may have. Keeping every duration
/// this short means `Instant + duration` cannot overflow anywhere.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest sliding window, in rounds (bounds memory: a window holds
/// one entry per round and target).
pub const MAX_WINDOW: u32 = 1000;

/// The most targets one family may have.
pub const MAX_TARGETS: usize = 256;

/// How the tracker judges one WAN. The first twelve fields mirror the
/// agent's `[tracker]` keys (DESIGN.md); the last three are the tracker's
/// own, with the defaults documented on each.
///
/// Defaults: interval 1 s, failure_interval 500 ms, recovery_interval 1 s,
/// timeout 800 ms, down 3, up 3, reliability 1, hold_down 10 s,
/// failure_latency 1000 ms, recovery_latency 500 ms, failure_loss 40 %,
/// recovery_loss 10 %, window 10 rounds, hold_down_max 5 min,
/// stable_period 5 min.
///
/// Limits are inclusive: a window is within a limit when its value is at
/// or below it. So it breaches `failure_loss = 40` at more than 40 % (40 %
/// exactly is still fine), and it recovers at `recovery_loss = 10` when
/// loss is 10 % or less; the same for latency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthParams {
    /// Time between the starts of two rounds while the family is steady
    /// (init, up or degraded with no failed round pending).
    pub interval: Duration,
    /// Time between round starts once a round has failed and the family is
    /// not down yet: probing faster confirms a failure sooner.
    pub failure_interval: Duration,
    /// Time between round starts while the family is down (recovering and
    /// in hold-down included).
    pub recovery_interval: Duration,
    /// How long a target has to answer; a slower reply counts as lost.
    pub timeout: Duration,
    /// Failed rounds in a row that make a family down.
    pub down: u32,
    /// Passed rounds in a row that make a family usable (after `down`,
    /// followed by the hold-down).
    pub up: u32,
    /// Targets that must answer within `timeout` for a round to pass.
    pub reliability: u32,
    /// After being down, how long a family that was usable before must keep
    /// passing before it is usable again; the base of the back-off.
    pub hold_down: Duration,
    /// Mean RTT over the window above this makes a usable family degraded.
    pub failure_latency: Duration,
    /// A degraded family needs mean RTT at or below this (and loss at or
    /// below `recovery_loss`) to be up again.
    pub recovery_latency: Duration,
    /// Loss over the window above this percentage makes a usable family
    /// degraded.
    pub failure_loss: u8,
    /// A degraded family needs loss at or below this percentage (and RTT at
    /// or below `recovery_latency`) to be up again.
    pub recovery_loss: u8,
    /// Rounds in the sliding window over which latency and loss are
    /// measured. Default 10: with 1 s rounds, ten seconds of history, and
    /// with one target a loss resolution of 10 %.
    pub window: u32,
    /// The longest hold-down the back-off may reach. Default 5 min: long
    /// enough to calm a WAN that flaps every minute, short enough that a
    /// WAN that has settled is used again soon. A value below `hold_down`
    /// means `hold_down` (no growth).
    pub hold_down_max: Duration,
    /// Flap detection and decay. A family that goes down less than this
    /// after coming back from `down` has flapped: its next hold-down
    /// doubles (up to `hold_down_max`). Each whole period it stays usable
    /// halves the hold-down again, down to `hold_down`. Default 5 min.
    pub stable_period: Duration,
}

impl Default for HealthParams {
    fn default() -> Self {
        HealthParams {
            interval: Duration::from_secs(1),
            failure_interval: Duration::from_millis(500),
            recovery_interval: Duration::from_secs(1),
            timeout: Duration::from_millis(800),
            down: 3,
            up: 3,
            reliability: 1,
            hold_down: Duration::from_secs(10),
            failure_latency: Duration::from_millis(1000),
            recovery_latency: Duration::from_millis(500),
            failure_loss: 40,
            recovery_loss: 10,
            window: 10,
            hold_down_max: Duration::from_secs(5 * 60),
            stable_period: Duration::from_secs(5 * 60),
        }
    }
}

impl HealthParams {
    /// Checks that the machine can run with these parameters: positive
    /// intervals, timeout, counts and period; durations at most
    /// [`MAX_DURATION`]; percentages at most 100; recovery limits not
    /// looser than failure limits; a window of 1 to [`MAX_WINDOW`] rounds.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let positive = [
            ("interval", self.interval),
            ("failure_interval", self.failure_interval),
            ("recovery_interval", self.recovery_interval),
            ("timeout", self.timeout),
            ("stable_period", self.stable_period),
        ];
        for (name, value) in positive {
            if value.is_zero() {
                return Err(ParamsError::Zero { name });
            }
        }
        let bounded = [
            ("interval", self.interval),
            ("failure_interval", self.failure_interval),
            ("recovery_interval", self.recovery_interval),
            ("timeout", self.timeout),
            ("hold_down", self.hold_down),
            ("failure_latency", self.failure_latency),
            ("recovery_latency", self.recovery_latency),
            ("hold_down_max", self.hold_down_max),
            ("stable_period", self.stable_period),
        ];
        for (name, value) in bounded {
            if value > MAX_DURATION {
                return Err(ParamsError::TooLong {
                    name,
                    max: MAX_DURATION,
                });
            }
        }
        for (name, value) in [
            ("down", self.down),
            ("up", self.up),
            ("reliability", self.reliability),
        ] {
            if value == 0 {
                return Err(ParamsError::Zero { name });
            }
        }
        for (name, value) in [
            ("failure_loss", self.failure_loss),
            ("recovery_loss", self.recovery_loss),
        ] {
            if value > 100 {
                return Err(ParamsError::PercentAbove100 { name, value });
            }
        }
        if self.recovery_loss > self.failure_loss {
            return Err(ParamsError::RecoveryAboveFailure {
                recovery: "recovery_loss",
                failure: "failure_loss",
            });
        }
        if self.recovery_latency > self.failure_latency {
            return Err(ParamsError::RecoveryAboveFailure {
                recovery: "recovery_latency",
                failure: "failure_latency",
            });
        }
        if self.window == 0 || self.window > MAX_WINDOW {
            return Err(ParamsError::Window {
                value: self.window,
                max: MAX_WINDOW,
            });
        }
        Ok(())
    }

    /// Worst-case time from a blackhole (every probe lost from one instant
    /// on) to `down`, for a WAN that was steady, when the driver reports
    /// each round at its `timeout`: see "Detection time" in the module
    /// documentation. With the defaults, 1 s + 800 ms + 2 x 800 ms = 3.4 s.
    pub fn worst_case_detection(&self) -> Duration {
        let later = self.timeout.max(self.failure_interval);
        self.interval
            .saturating_add(self.timeout)
            .saturating_add(later.saturating_mul(self.down.saturating_sub(1)))
    }
}
