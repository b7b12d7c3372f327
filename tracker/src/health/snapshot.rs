//! What status and metrics read from the machine: a copy, taken at `now`.

use std::time::{Duration, Instant};

use crate::events::{Family, TargetId};
use crate::quality::Quality;
use crate::state::HealthState;

/// The WAN as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct WanSnapshot {
    /// Combined from the families (see [`WanHealth`](super::WanHealth)).
    pub state: HealthState,
    /// When `state` was entered.
    pub since: Instant,
    /// Latency and loss over every family's window.
    pub quality: Quality,
    /// The tracked families, IPv4 first.
    pub families: Vec<FamilySnapshot>,
}

/// One address family.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilySnapshot {
    /// Which family.
    pub family: Family,
    /// Its state.
    pub state: HealthState,
    /// When `state` was entered.
    pub since: Instant,
    /// Latency and loss over its window.
    pub quality: Quality,
    /// Passed rounds in a row.
    pub passed: u32,
    /// Failed rounds in a row.
    pub failed: u32,
    /// Carrier as last reported.
    pub carrier: bool,
    /// The hold-down the next recovery will wait (grown by flapping,
    /// decayed by stability).
    pub hold_down: Duration,
    /// While a down family waits out its hold-down: when it ends.
    pub hold_down_until: Option<Instant>,
    /// One entry per target, in the order given at construction.
    pub targets: Vec<TargetSnapshot>,
}

/// One probe target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSnapshot {
    /// Which target.
    pub target: TargetId,
    /// RTT of its latest reply within `timeout`, however old; `None` until
    /// one came.
    pub last_rtt: Option<Duration>,
    /// Its probes lost over the window.
    pub lost: u32,
    /// Its probes over the window.
    pub sent: u32,
}

impl TargetSnapshot {
    /// Loss in percent over the window; `None` before a probe was sent.
    pub fn loss_percent(&self) -> Option<f64> {
        (self.sent > 0).then(|| f64::from(self.lost) * 100.0 / f64::from(self.sent))
    }
}
